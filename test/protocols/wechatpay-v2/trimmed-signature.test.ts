/**
 * The Java SDK fallback of wechatpay-v2.md §3 (the SDK signs `value.trim()`): a request whose signature verifies
 * only over the trimmed values goes on with the trimmed values. The padding was never signed, so anyone on the
 * path could have added it; it must not reach the order, the answer or a notification.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signV2 } from '../../../src/protocols/wechatpay-v2/sign.ts';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { answerSigned, postRaw } from './v2-client.ts';

const database = primaryDatabase();
let gw: TestGateway;
let c: Credentials;
before(async () => {
  gw = await startTestGateway(database);
  c = await gw.newMerchant();
});
after(async () => {
  await gw.close();
});

/** The merchant's orders as stored. */
async function stored() {
  const { rows } = await gw.store.db.query('SELECT out_trade_no, description, attach FROM orders WHERE mchid = $1 ORDER BY out_trade_no', [c.mchid]);
  return rows;
}

/** XML with these exact values (padding included) and a sign computed over `signed`. */
function xmlSignedOver(sent: Record<string, string>, signed: Record<string, string>, key: string): string {
  const entries = Object.entries({ ...sent, sign: signV2(signed, key, 'MD5') });
  return `<xml>${entries.map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('')}</xml>`;
}

test('padded fields signed only trimmed: the order keeps the trimmed values, the answer echoes them', async () => {
  const trimmed = {
    appid: c.appid,
    mch_id: c.mchid,
    nonce_str: 'pad1',
    body: 'coffee',
    attach: 'note',
    out_trade_no: 'PAD1',
    total_fee: '88',
    spbill_create_ip: '10.0.0.1',
    auth_code: '134567890123450000',
  };
  const sent = { ...trimmed, body: '  coffee \t', attach: 'note   \n' };
  const paid = await postRaw(new URL('/pay/micropay', c.baseUrl).toString(), xmlSignedOver(sent, trimmed, c.apiV2Key));
  assert.equal(paid.params.return_code, 'SUCCESS', paid.text);
  assert.equal(paid.params.result_code, 'SUCCESS', paid.text);
  assert.equal(paid.params.out_trade_no, 'PAD1');
  assert.equal(paid.params.attach, 'note');
  assert.ok(answerSigned(paid.params, c.apiV2Key, 'MD5'));

  assert.deepEqual(await stored(), [{ out_trade_no: 'PAD1', description: 'coffee', attach: 'note' }], 'no unsigned padding was stored');
});

test('padding that is signed stays: an exact signature keeps the exact values', async () => {
  const sent = {
    appid: c.appid,
    mch_id: c.mchid,
    nonce_str: 'pad2',
    body: '  tea  ',
    out_trade_no: 'PAD2',
    total_fee: '88',
    spbill_create_ip: '10.0.0.1',
    auth_code: '134567890123450000',
  };
  const paid = await postRaw(new URL('/pay/micropay', c.baseUrl).toString(), xmlSignedOver(sent, sent, c.apiV2Key));
  assert.equal(paid.params.result_code, 'SUCCESS', paid.text);
  assert.deepEqual(
    (await stored()).find((o) => o.out_trade_no === 'PAD2'),
    { out_trade_no: 'PAD2', description: '  tea  ', attach: null },
  );
});
