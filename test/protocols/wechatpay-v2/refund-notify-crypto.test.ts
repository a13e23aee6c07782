/** Refund notification `req_info` encryption, wechatpay-v2.md §8.2. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aes256EcbDecrypt, aes256EcbEncrypt, decryptReqInfo, encryptReqInfo, reqInfoKey } from '../../../src/protocols/wechatpay-v2/refund-notify-crypto.ts';
import { parseXmlText } from '../../../src/protocols/wechatpay-v2/xml.ts';

const SAMPLE_KEY = '192006250b4c09247ec02edce69f6a2d';
const INNER = '<root><out_refund_no><![CDATA[R20240101001]]></out_refund_no><refund_status><![CDATA[SUCCESS]]></refund_status></root>';
const INNER_B64 =
  'WBzGpzQuNpcFxIlFjUUD9BfnwwNUlVAs7bwvgHME4/QkreGFkEmfsl6yfO9gIC7hEzEQIOaZs9EYO4DOrifmCRYlj0HSKB+gKdjJchMaqd95xSi6GXW4jpxoab571C/sOcKr/e7RWL1s5iSUuEU8AmIujMJ1h2zkNN3cfkkqWpA=';

describe('§8.2 vectors', () => {
  test('official PHP SDK: raw-key AES-256-ECB of "hello"', () => {
    assert.equal(aes256EcbEncrypt('hello', '0123456789abcdef0123456789abcdef'), 'pZwJZBLuy3mDACEQT4YTBw==');
    assert.equal(aes256EcbDecrypt('pZwJZBLuy3mDACEQT4YTBw==', '0123456789abcdef0123456789abcdef'), 'hello');
  });
  test('derived: key = lower-case hex MD5 of the API key', () => {
    assert.equal(reqInfoKey(SAMPLE_KEY), 'd96eb16afdd491fa1e705096edbc2205');
  });
  test('derived: encrypted inner XML', () => {
    assert.equal(encryptReqInfo(INNER, SAMPLE_KEY), INNER_B64);
    assert.equal(aes256EcbEncrypt(INNER, 'd96eb16afdd491fa1e705096edbc2205'), INNER_B64);
  });
  test('derived: decryption gives the inner XML, which parses as a flat <root>', () => {
    const inner = decryptReqInfo(INNER_B64, SAMPLE_KEY);
    assert.equal(inner, INNER);
    assert.deepEqual(parseXmlText(inner, 'root'), {
      ok: true,
      params: { out_refund_no: 'R20240101001', refund_status: 'SUCCESS' },
    });
  });
});

describe('failures', () => {
  test('the raw API key is not the req_info key', () => {
    assert.notEqual(aes256EcbEncrypt(INNER, SAMPLE_KEY), INNER_B64);
  });
  test('a wrong key fails (bad padding) or at least does not give the plaintext', () => {
    let out: string | undefined;
    try {
      out = decryptReqInfo(INNER_B64, 'another-key');
    } catch {
      out = undefined;
    }
    assert.notEqual(out, INNER);
  });
  test('corrupt input throws', () => {
    assert.throws(() => decryptReqInfo('', SAMPLE_KEY), RangeError);
    assert.throws(() => decryptReqInfo('pZwJZBLuy3mDACEQ', SAMPLE_KEY), RangeError); // 12 bytes
    assert.throws(() => decryptReqInfo(`${INNER_B64.slice(0, -1)}*`, SAMPLE_KEY), RangeError);
    assert.throws(() => decryptReqInfo(`${INNER_B64}\n`, SAMPLE_KEY), RangeError);
  });
  test('keys must be 32 bytes', () => {
    assert.throws(() => aes256EcbEncrypt('x', 'short'), RangeError);
    assert.throws(() => aes256EcbDecrypt('pZwJZBLuy3mDACEQT4YTBw==', '0123456789abcdef'), RangeError);
  });
});

test('property: encryptReqInfo → decryptReqInfo round trip (unicode, any length)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ minLength: 1, maxLength: 40 }), (plain, key) => {
      const b64 = encryptReqInfo(plain, key);
      assert.equal(Buffer.from(b64, 'base64').length % 16, 0);
      assert.equal(decryptReqInfo(b64, key), plain);
    }),
    { numRuns: 300 },
  );
});
