/**
 * One order store behind both WeChat dialects (wechatpay-v2.md §5), the Global flavour of APIv2 (§7: fee_type,
 * rate, cash_fee in CNY) and service-provider mode (sub_mch_id resolved and its binding checked).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { merchantClient, startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { failed, v2Client } from './v2-client.ts';

const database = primaryDatabase();
const PAYS = '134567890123450000';

describe('APIv2 next to APIv3, Global merchants and service providers', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database, undefined, { tls: true });
  });
  after(async () => {
    await gw.close();
  });

  const micropayParams = (c: Credentials, no: string, extra: Record<string, string> = {}) => ({
    appid: c.appid,
    mch_id: c.mchid,
    body: 'b',
    out_trade_no: no,
    total_fee: '1000',
    spbill_create_ip: '10.0.0.1',
    auth_code: PAYS,
    ...extra,
  });

  test('an order made by v2 micropay is queried and reversed through APIv3, and a v3 order through v2', async () => {
    const c = await gw.newMerchant();
    const v2 = v2Client(c).v2;
    const v3 = merchantClient(c).v3;
    const paid = (await v2.pay.micropay.post(micropayParams(c, 'X1'))).data;
    const q3 = (await v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: 'X1' })).data;
    assert.deepEqual(
      [q3.trade_state, q3.trade_type, q3.transaction_id, q3.appid, q3.amount.total],
      ['SUCCESS', 'MICROPAY', paid.transaction_id, c.appid, 1000],
    );

    await v3.pay.transactions.native.post({
      appid: c.appid,
      mchid: c.mchid,
      description: 'v3 order',
      out_trade_no: 'X2',
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 500 },
    });
    const q2 = (await v2.pay.orderquery.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'X2' })).data;
    assert.deepEqual([q2.trade_state, q2.trade_type, q2.total_fee], ['NOTPAY', 'NATIVE', '500']);

    await gw.advance(c.mchid, 16);
    await v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: c.appid, mchid: c.mchid }, { out_trade_no: 'X1' });
    assert.equal((await v2.pay.orderquery.post({ appid: c.appid, mch_id: c.mchid, transaction_id: paid.transaction_id })).data.trade_state, 'REVOKED');
    const again = (await v2.secapi.pay.reverse.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'X1' }, { security: true })).data;
    assert.equal(again.recall, 'N', 'a v2 reverse of an order v3 reversed succeeds unchanged');
    const used = await failed(v2.pay.micropay.post(micropayParams(c, 'X2')));
    assert.equal(used.data.err_code, 'OUT_TRADE_NO_USED', 'the v3 order number is taken');
  });

  test('Global: fee_type required; rate, cash_fee_type=CNY and cash_fee on micropay, orderquery and reverse', async () => {
    const c = await gw.newMerchant({ region: 'global', exchangeRate: 91_234_567 });
    const v2 = v2Client(c).v2;
    const missing = await failed(v2.pay.micropay.post(micropayParams(c, 'G1')));
    assert.deepEqual([missing.data.err_code, missing.data.err_code_des], ['PARAM_ERROR', '缺少参数fee_type']);
    const paid = (await v2.pay.micropay.post(micropayParams(c, 'G1', { fee_type: 'HKD' }))).data;
    assert.deepEqual([paid.fee_type, paid.total_fee, paid.cash_fee_type, paid.cash_fee, paid.rate], ['HKD', '1000', 'CNY', '912', '91234567']);
    const q = (await v2.pay.orderquery.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'G1' })).data;
    assert.deepEqual([q.rate, q.cash_fee, q.cash_fee_type], ['91234567', '912', 'CNY']);
    await gw.advance(c.mchid, 16);
    const reversed = (await v2.secapi.pay.reverse.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'G1' }, { security: true })).data;
    assert.deepEqual([reversed.result_code, reversed.recall, reversed.rate], ['SUCCESS', 'N', '91234567']);
    const unknown = await failed(v2.secapi.pay.reverse.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'NONE' }, { security: true }));
    assert.deepEqual([unknown.data.err_code, unknown.data.recall, unknown.data.rate], ['ORDERNOTEXIST', 'N', undefined], 'rate only on success');
  });

  test('service provider: sub_mch_id addresses the sub-merchant’s orders; foreign or missing bindings are refused', async () => {
    const sp = await gw.newMerchant({ mode: 'service_provider' });
    const sub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: sp.mchid });
    const otherSp = await gw.newMerchant({ mode: 'service_provider' });
    const foreignSub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: otherSp.mchid });
    const direct = await gw.newMerchant();
    const v2 = v2Client(sp).v2;

    const paid = (await v2.pay.micropay.post(micropayParams(sp, 'S1', { sub_mch_id: sub.mchid, sub_appid: sub.appid }))).data;
    assert.deepEqual([paid.result_code, paid.mch_id, paid.sub_mch_id, paid.sub_appid], ['SUCCESS', sp.mchid, sub.mchid, sub.appid]);
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${sub.mchid}/orders/S1`)).body.state, 'SUCCESS', 'the sub-merchant’s order');
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${sp.mchid}/orders/S1`)).status, 404);
    const q = (await v2.pay.orderquery.post({ appid: sp.appid, mch_id: sp.mchid, sub_mch_id: sub.mchid, out_trade_no: 'S1' })).data;
    assert.equal(q.trade_state, 'SUCCESS');
    await gw.advance(sub.mchid, 16);
    const reversed = (await v2.secapi.pay.reverse.post({ appid: sp.appid, mch_id: sp.mchid, sub_mch_id: sub.mchid, out_trade_no: 'S1' }, { security: true }))
      .data;
    assert.deepEqual([reversed.result_code, reversed.sub_mch_id], ['SUCCESS', sub.mchid]);

    const foreign = await failed(v2.pay.orderquery.post({ appid: sp.appid, mch_id: sp.mchid, sub_mch_id: foreignSub.mchid, out_trade_no: 'S1' }));
    assert.equal(foreign.data.err_code, 'NOAUTH');
    const unknownSub = await failed(v2.pay.orderquery.post({ appid: sp.appid, mch_id: sp.mchid, sub_mch_id: '1999999999', out_trade_no: 'S1' }));
    assert.equal(unknownSub.data.err_code, 'NOAUTH');
    const wrongSubAppid = await failed(
      v2.pay.orderquery.post({ appid: sp.appid, mch_id: sp.mchid, sub_mch_id: sub.mchid, sub_appid: direct.appid, out_trade_no: 'S1' }),
    );
    assert.equal(wrongSubAppid.data.err_code, 'APPID_MCHID_NOT_MATCH');
    const noSub = await failed(v2.pay.orderquery.post({ appid: sp.appid, mch_id: sp.mchid, out_trade_no: 'S1' }));
    assert.equal(noSub.data.err_code, 'PARAM_ERROR');
    const directWithSub = await failed(
      v2Client(direct).v2.pay.orderquery.post({ appid: direct.appid, mch_id: direct.mchid, sub_mch_id: sub.mchid, out_trade_no: 'S1' }),
    );
    assert.equal(directWithSub.data.err_code, 'NOAUTH');
  });
});
