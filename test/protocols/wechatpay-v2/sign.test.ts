/** APIv2 signatures, wechatpay-v2.md §3: official and derived vectors, verification rules, SDK fallback. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { javaTrim, parseSignTypeV2, signingStringV2, signV2, verifyV2 } from '../../../src/protocols/wechatpay-v2/sign.ts';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const OFFICIAL = {
  appid: 'wxd930ea5d5a258f4f',
  mch_id: '10000100',
  device_info: '1000',
  body: 'test',
  nonce_str: 'ibuaiVcKdpRxkhJA',
};

describe('§3 vectors', () => {
  test('official stringA', () => {
    assert.equal(signingStringV2(OFFICIAL), 'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA');
  });
  test('official MD5', () => assert.equal(signV2(OFFICIAL, KEY, 'MD5'), '9A0A8659F005D6984697E2CA0A9CF3B7'));
  test('official HMAC-SHA256', () => {
    assert.equal(signV2(OFFICIAL, KEY, 'HMAC-SHA256'), '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  });
  test('derived: sign_type=HMAC-SHA256 + empty attach (dropped)', () => {
    const p = { ...OFFICIAL, sign_type: 'HMAC-SHA256', attach: '' };
    assert.equal(signV2(p, KEY, 'HMAC-SHA256'), '2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B');
    assert.deepEqual(verdict(verifyV2({ ...p, sign: '2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B' }, KEY)), {
      ok: true,
      signType: 'HMAC-SHA256',
    });
  });
  test('derived: sign_type=MD5', () => {
    const p = { ...OFFICIAL, sign_type: 'MD5' };
    assert.equal(signV2(p, KEY, 'MD5'), '6B4978B16793D0C2604CD59C47425A27');
    assert.deepEqual(verdict(verifyV2({ ...p, sign: '6B4978B16793D0C2604CD59C47425A27' }, KEY)), { ok: true, signType: 'MD5' });
  });
});

/** The verdict without the verified values (checked where they matter). */
function verdict(r: ReturnType<typeof verifyV2>) {
  return r.ok ? { ok: true, signType: r.signType } : r;
}

describe('§3 string to sign', () => {
  test('sign is excluded, empty values dropped, unknown fields included', () => {
    assert.equal(signingStringV2({ b: '2', sign: 'X', a: '1', e: '', future_field: 'f' }), 'a=1&b=2&future_field=f');
  });
  test('byte order is case-sensitive (upper-case first) and values are raw UTF-8', () => {
    assert.equal(signingStringV2({ b: '中 文&=', B: '1', a_: '2', a: '3' }), 'B=1&a=3&a_=2&b=中 文&=');
  });
  test('the MD5 input is stringA&key=KEY', () => {
    const p = { body: '腾讯充值', total_fee: '1' };
    const expected = createHash('md5').update(`body=腾讯充值&total_fee=1&key=${KEY}`).digest('hex').toUpperCase();
    assert.equal(signV2(p, KEY, 'MD5'), expected);
  });
});

describe('verifyV2', () => {
  const md5 = { ...OFFICIAL, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' };
  test('sign_type absent → MD5', () => assert.deepEqual(verdict(verifyV2(md5, KEY)), { ok: true, signType: 'MD5' }));
  test('comparison is case-insensitive', () => {
    assert.deepEqual(verdict(verifyV2({ ...md5, sign: md5.sign.toLowerCase() }, KEY)), { ok: true, signType: 'MD5' });
  });
  test('mismatch → 签名错误', () => {
    assert.deepEqual(verdict(verifyV2({ ...md5, body: 'test2' }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'signature does not verify' });
    assert.deepEqual(verdict(verifyV2(md5, `${KEY.slice(0, -1)}e`)), { ok: false, returnMsg: '签名错误', reason: 'signature does not verify' });
    assert.deepEqual(verdict(verifyV2({ ...md5, extra: 'x' }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'signature does not verify' });
    assert.deepEqual(verdict(verifyV2({ ...md5, sign: md5.sign.slice(1) }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'signature does not verify' });
  });
  test('an MD5 signature under sign_type=HMAC-SHA256 does not verify', () => {
    const p = { ...OFFICIAL, sign_type: 'HMAC-SHA256' };
    assert.deepEqual(verdict(verifyV2({ ...p, sign: signV2(p, KEY, 'MD5') }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'sign_type mismatch' });
  });
  test('missing or blank sign → 签名错误', () => {
    assert.deepEqual(verdict(verifyV2(OFFICIAL, KEY)), { ok: false, returnMsg: '签名错误', reason: 'sign missing' });
    assert.deepEqual(verdict(verifyV2({ ...OFFICIAL, sign: '' }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'sign missing' });
    assert.deepEqual(verdict(verifyV2({ ...OFFICIAL, sign: '  ' }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'sign missing' });
  });
  test('unknown sign_type → 签名类型错误 (checked before the signature)', () => {
    for (const t of ['SHA1', 'md5', 'HMAC-SHA1', 'hmac-sha256', ' MD5']) {
      assert.deepEqual(verdict(verifyV2({ ...md5, sign_type: t }, KEY)), { ok: false, returnMsg: '签名类型错误', reason: 'unknown sign_type' }, t);
    }
  });
  test('parseSignTypeV2', () => {
    assert.equal(parseSignTypeV2(undefined), 'MD5');
    assert.equal(parseSignTypeV2('MD5'), 'MD5');
    assert.equal(parseSignTypeV2('HMAC-SHA256'), 'HMAC-SHA256');
    assert.equal(parseSignTypeV2('SHA256'), null);
  });
});

describe('Java SDK fallback (trimmed values)', () => {
  const sent = { ...OFFICIAL, body: '  test\n', attach: ' \t', sign_type: 'HMAC-SHA256' };
  // What the SDK signed: trimmed values, whitespace-only attach skipped.
  const sdkSign = signV2({ ...OFFICIAL, sign_type: 'HMAC-SHA256' }, KEY, 'HMAC-SHA256');
  test('signature over trimmed values is accepted, and only the trimmed values come out', () => {
    const r = verifyV2({ ...sent, sign: sdkSign }, KEY);
    assert.deepEqual(verdict(r), { ok: true, signType: 'HMAC-SHA256' });
    assert.ok(r.ok && r.trimmed);
    assert.equal(r.params.body, 'test', 'the padding was not signed: it does not go on');
    assert.equal('attach' in r.params, false, 'a value that trims to empty was not signed at all');
  });
  test('signature over the exact values is accepted too, with the exact values', () => {
    const r = verifyV2({ ...sent, sign: signV2(sent, KEY, 'HMAC-SHA256') }, KEY);
    assert.deepEqual(verdict(r), { ok: true, signType: 'HMAC-SHA256' });
    assert.ok(r.ok && !r.trimmed);
    assert.deepEqual([r.params.body, r.params.attach], ['  test\n', ' \t']);
  });
  test('the fallback trims like Java (≤ U+0020), not like JS trim()', () => {
    const p = { ...OFFICIAL, body: 'test\u3000' };
    const jsTrimmed = signV2({ ...OFFICIAL, body: 'test' }, KEY, 'MD5');
    assert.deepEqual(verdict(verifyV2({ ...p, sign: jsTrimmed }, KEY)), { ok: false, returnMsg: '签名错误', reason: 'signature does not verify' });
    assert.equal(javaTrim('\u0000\u0001 a b\r\n\u3000'), 'a b\r\n\u3000');
    assert.equal(javaTrim('\u00a0x'), '\u00a0x');
  });
  test('a sign padded by pretty-printing still verifies', () => {
    assert.deepEqual(verdict(verifyV2({ ...OFFICIAL, sign: '\n  9A0A8659F005D6984697E2CA0A9CF3B7\n' }, KEY)), { ok: true, signType: 'MD5' });
  });
});

test('property: signV2 → verifyV2 round trip, and any changed value breaks it', () => {
  const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/).filter((n) => n !== 'sign' && n !== 'sign_type');
  fc.assert(
    fc.property(
      fc.dictionary(name, fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), { minKeys: 1, maxKeys: 10 }),
      fc.constantFrom<'MD5' | 'HMAC-SHA256'>('MD5', 'HMAC-SHA256'),
      fc.string({ minLength: 32, maxLength: 32 }),
      (fields, signType, key) => {
        const p: Record<string, string> = { ...fields, ...(signType === 'HMAC-SHA256' ? { sign_type: signType } : {}) };
        const sign = signV2(p, key, signType);
        assert.match(sign, signType === 'MD5' ? /^[0-9A-F]{32}$/ : /^[0-9A-F]{64}$/);
        assert.deepEqual(verdict(verifyV2({ ...p, sign }, key)), { ok: true, signType });
        const victim = Object.keys(fields)[0]!;
        const tampered = { ...p, sign, [victim]: `${p[victim]}x` };
        assert.deepEqual(verdict(verifyV2(tampered, key)), { ok: false, returnMsg: '签名错误', reason: 'signature does not verify' });
      },
    ),
    { numRuns: 300 },
  );
});
