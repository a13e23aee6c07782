/**
 * Response envelope (paycloud-openapi.md §5): exact text, `data` as a JSON string, signature over code/data/msg/psn,
 * and verifiable the way an SDK reads it back.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify as verifySync } from 'node:crypto';
import { describe, test } from 'node:test';
import { buildResponse, majorAmount } from '../../../src/protocols/paycloud/envelope.ts';
import { parseTopLevel } from '../../../src/protocols/paycloud/lossless-json.ts';
import { fieldsForSigning, verifyPayCloud } from '../../../src/protocols/paycloud/sign.ts';

const gateway = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Splits off `,"sign":"…"}` so the rest can be compared literally (the signature itself is checked separately). */
function splitSign(text: string): { head: string; sign: string } {
  const m = /^(.*),"sign":"([A-Za-z0-9+/=]+)"\}$/s.exec(text);
  assert.ok(m, `no trailing sign in ${text}`);
  return { head: m[1]!, sign: m[2]! };
}

const verifiesLiteral = (s: string, sign: string) => verifySync('sha256', Buffer.from(s, 'utf8'), gateway.publicKey, Buffer.from(sign, 'base64'));

describe('buildResponse', () => {
  test('success: exact text and signature over code, data, msg, psn', async () => {
    const data = {
      trans_no: '20250103000000000123',
      merchant_order_no: 'TEST_1',
      trans_status: 2,
      trans_amount: majorAmount(20006, 'CNY'),
      paid_amount: majorAmount(100, 'CNY'),
      price_currency: 'CNY',
    };
    const text = await buildResponse({ code: '0', msg: 'Success', psn: '06211230451234567890', data }, gateway.privateKey);
    const dataText =
      '{"trans_no":"20250103000000000123","merchant_order_no":"TEST_1","trans_status":2,"trans_amount":200.06,"paid_amount":1,"price_currency":"CNY"}';
    const { head, sign } = splitSign(text);
    assert.equal(head, `{"code":"0","msg":"Success","psn":"06211230451234567890","data":${JSON.stringify(dataText)}`);
    assert.ok(verifiesLiteral(`code=0&data=${dataText}&msg=Success&psn=06211230451234567890`, sign));
  });

  test('error: data is "{}" and is still signed', async () => {
    const text = await buildResponse({ code: '1002', msg: 'Signature error', psn: '12345678901234567890', data: {} }, gateway.privateKey);
    const { head, sign } = splitSign(text);
    assert.equal(head, '{"code":"1002","msg":"Signature error","psn":"12345678901234567890","data":"{}"');
    assert.ok(verifiesLiteral('code=1002&data={}&msg=Signature error&psn=12345678901234567890', sign));
  });

  test('an SDK reading the envelope back verifies it (data as the string it received)', async () => {
    const text = await buildResponse(
      { code: '0', msg: 'Success', psn: 'p1', data: { description: '中文 "quoted" \\ \n', trans_amount: majorAmount(1, 'JPY') } },
      gateway.privateKey,
    );
    const parsed = parseTopLevel(text);
    assert.ok(parsed.ok);
    const fields = fieldsForSigning(parsed.fields);
    assert.equal(fields.get('data'), '{"description":"中文 \\"quoted\\" \\\\ \\n","trans_amount":1}');
    assert.equal(await verifyPayCloud(fields, fields.get('sign')!, gateway.publicKey), true);
    // JSON.parse is fine for responses: every top-level value is a string.
    const viaJsonParse = new Map(Object.entries(JSON.parse(text) as Record<string, string>));
    assert.equal(await verifyPayCloud(viaJsonParse, viaJsonParse.get('sign')!, gateway.publicKey), true);
  });

  test('non-finite numbers are a programming error, not a silent null', async () => {
    await assert.rejects(buildResponse({ code: '0', msg: 'Success', psn: 'p', data: { trans_amount: NaN } }, gateway.privateKey), RangeError);
  });
});

describe('majorAmount', () => {
  test('major units, no trailing zeros, exact at the limit', () => {
    assert.equal(JSON.stringify(majorAmount(20006, 'CNY')), '200.06');
    assert.equal(JSON.stringify(majorAmount(100, 'CNY')), '1');
    assert.equal(JSON.stringify(majorAmount(150, 'USD')), '1.5');
    assert.equal(JSON.stringify(majorAmount(1, 'JPY')), '1');
    assert.equal(JSON.stringify(majorAmount(1234, 'KWD')), '1.234');
    assert.equal(JSON.stringify(majorAmount(9_999_999_999_999, 'CNY')), '99999999999.99');
    assert.equal(JSON.stringify(majorAmount(10_000_000_000_000, 'KWD')), '10000000000');
  });
});
