/** The official and derived APIv3 vectors of wechatpay-v3.md §12. */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { aesGcmDecrypt, aesGcmEncrypt, privateKeyOf, rsaSign, rsaVerify } from '../../../src/lib/crypto.ts';
import { parseAuthorization, requestMessage, sameSerial } from '../../../src/protocols/wechatpay-v3/authorization.ts';
import { GO_SDK_TEST_KEY_PEM } from '../../fixtures/wechatpay-go-test-key.ts';

const key = privateKeyOf(GO_SDK_TEST_KEY_PEM);

test('Go SDK signer vector: "source" signs to the published signature', async () => {
  const expected =
    'BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==';
  assert.equal(await rsaSign('source', key), expected);
  assert.equal(await rsaVerify('source', expected, createPublicKey(key)), true);
  assert.equal(await rsaVerify('sourcE', expected, createPublicKey(key)), false);
});

test('request string to sign (docs example) and its derived signature', async () => {
  const message = requestMessage('GET', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '');
  assert.equal(message, 'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n');
  assert.equal(
    await rsaSign(message, key),
    'RjVFHMcrr9NsM4SiNmpFx6QPR99WztxatBshmr/6f7pXnt2YSPAhmNrEEAjWgpOcf5Zxbwl2qdPACOsEOeGrnLD81nVK3ucJq50iD0FAyF11knd1C9ic7zV9Jg3zao0+Wx3yAI6jXx6NLBEfNNspCazrQ+IHsUi04tubSBsT+4LHT9j0rL9axFBl7jVYe7uZ1ZQzap8EokLHDQbYw6qPEOs85+a2rnudh3TCPe81oUfe0zPqwEE6sWxxeSCYx+1mbURsOAN4Z8/uKgOIZxbDAkqYWFb7VOaHFeejC1rsxUc7wkw0zQWxae1giswROXii1DorwdJ3CGlPchx0PyDjkQ==',
  );
});

test('204 response signature (derived)', async () => {
  assert.equal(
    await rsaSign('1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n', key),
    'FvlS+Ab7shbPZIPgZBeHWZkY6n5jgdU61ZW35+bXAtnB2uC/9RHI9bvSQEcWV6ncZbjrbGhOIQFkGcjmG9KAN25jisOMdVJ92CYkuiQE+hgvsHtvRr2BpgKBxEXfFXmHEmivNkc9ShQr6VYiGunG0VqREcSE9tAtZnbwtNe0Ah1ArDHZb8qiQPFrazv2MmKfl15Ve68SX9BvEZO3Z2I6yR6MfKal/IWKDgBDGSDlqYzmZV3gb6E76ai08Wmt6ijn2MJbfQ++jjDIpivdilSPmcGqPQSR+zfnJt6XGpMDCsip8KDP2Olm3C6LfX0CAJ0D/RLelu2ZAMvW5ZFEoad0Lw==',
  );
});

test('AES-GCM: Go SDK vector (16-byte key), its negative, and the derived AES-256 vector', () => {
  assert.equal(aesGcmDecrypt('FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC', 'testAPIv3Key0000', 'wCq51qZv4Yfg', 'Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8'), 'Hello World');
  assert.throws(() => aesGcmDecrypt('SGVsbG8gV29ybGQK', 'testAPIv3Key1111', 'wCq51qZv4Yfg', 'Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8'));
  assert.equal(aesGcmEncrypt('Hello World', 'tradegateAPIv3Key000000000000000', 'wCq51qZv4Yfg', 'transaction'), 'X1v/QwKhGipoPZGRYpHyke5Ap7xx7cFaTHpk');
});

test('serials compare as hex numbers', () => {
  assert.ok(sameSerial('00d7ce59d1f522d701', 'D7CE59D1F522D701'));
  assert.ok(sameSerial('F5765756002FDD77', 'f5765756002fdd77'));
  assert.ok(!sameSerial('F5765756002FDD78', 'F5765756002FDD77'));
  assert.ok(!sameSerial('', ''));
});

test('Authorization parameters parse in any order; duplicates and missing ones are refused', () => {
  const a =
    'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="abc="';
  const b =
    'wechatpay2-sha256-rsa2048  mchid="1900000001" , serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",timestamp="1554208460", nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="abc=",extra="x"';
  const pa = parseAuthorization(a);
  const pb = parseAuthorization(b);
  assert.ok(pa.ok && pb.ok);
  assert.deepEqual(pa.value, pb.value);
  assert.equal(parseAuthorization(`${a},mchid="2"`).ok, false);
  assert.equal(parseAuthorization(a.replace(',signature="abc="', '')).ok, false);
  assert.equal(parseAuthorization('Bearer x').ok, false);
  assert.equal(parseAuthorization(undefined).ok, false);
});
