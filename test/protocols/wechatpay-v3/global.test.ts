/** WeChat Pay Global/HK APIv3: the Close Order page, both path forms and both modes, plus codepay/reverse/refund. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { merchantClient, refused, startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { authorization } from '../../helpers/v3-signer.ts';

const database = primaryDatabase();

describe('APIv3 Global / HK', () => {
  let gw: TestGateway;
  let hk: Credentials;
  let sp: Credentials;
  let sub: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    hk = await gw.newMerchant({ region: 'global', currency: 'HKD', exchangeRate: 92_000_000 });
    sp = await gw.newMerchant({ mode: 'service_provider', region: 'global' });
    sub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: sp.mchid });
  });
  after(async () => {
    await gw.close();
  });

  const native = (no: string) => ({
    appid: hk.appid,
    mchid: hk.mchid,
    description: 'g',
    out_trade_no: no,
    notify_url: 'http://127.0.0.1:9/n',
    amount: { total: 1000, currency: 'HKD' },
  });
  const state = async (mchid: string, no: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`)).body.state;

  test('common mode: close before 5 min → 429 RATE_LIMITED; at 5 min → 204; again → 400 ORDERCLOSED', async () => {
    const wx = merchantClient(hk);
    const created = await wx.v3.global.transactions.native.post(native('G1'));
    assert.match(created.data.code_url, /^weixin:/);
    const close = () => wx.v3.global.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: hk.mchid }, { out_trade_no: 'G1' });
    const early = await refused(close());
    assert.deepEqual([early.status, early.data.code], [429, 'RATE_LIMITED']);
    await gw.advance(hk.mchid, 300);
    assert.equal((await close()).status, 204);
    assert.equal(await state(hk.mchid, 'G1'), 'CLOSED');
    const again = await refused(close());
    assert.deepEqual([again.status, again.data], [400, { code: 'ORDERCLOSED', message: '订单已关闭' }]);
  });

  test('error bodies are byte-exact: ORDERPAID by id, PARAM_ERROR with a JSON pointer', async () => {
    const wx = merchantClient(hk);
    const paid = await wx.v3.global.micropay.transactions.pay.post({
      appid: hk.appid,
      mchid: hk.mchid,
      description: 'g',
      out_trade_no: 'G2',
      payer: { auth_code: '134567890123456789' },
      amount: { total: 1000, currency: 'HKD' },
    });
    assert.equal(paid.data.trade_state, 'SUCCESS');
    assert.equal(paid.data.amount.exchange_rate.rate, 92_000_000);
    assert.equal(paid.data.amount.payer_total, 920);
    assert.ok(paid.data.id);
    await gw.advance(hk.mchid, 300);
    const url = `/v3/global/transactions/id/${paid.data.id}/close`;
    const body = JSON.stringify({ mchid: hk.mchid });
    const res = await gw.app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'content-type': 'application/json', authorization: authorization(hk, 'POST', url, body) },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, '{"code":"ORDERPAID","message":"订单已支付"}');
    const bad = JSON.stringify({ sp_mchid: sp.mchid });
    const res2 = await gw.app.inject({
      method: 'POST',
      url: '/v3/global/transactions/out-trade-no/G9/close',
      payload: bad,
      headers: { 'content-type': 'application/json', authorization: authorization(sp, 'POST', '/v3/global/transactions/out-trade-no/G9/close', bad) },
    });
    assert.equal(res2.statusCode, 400);
    assert.equal(
      res2.body,
      '{"code":"PARAM_ERROR","message":"参数错误: 缺少必填参数sub_mchid","detail":{"field":"/sub_mchid","value":null,"issue":"缺少必填参数sub_mchid","location":"body"}}',
    );
    const get = await gw.app.inject({ method: 'GET', url, headers: { authorization: authorization(hk, 'GET', url, '') } });
    assert.deepEqual([get.statusCode, get.json().code], [405, 'REQUIRE_POST_METHOD']);
  });

  test('institutional mode on the /hk/v3 paths: close and reverse → 204', async () => {
    const wx = merchantClient(sp);
    await wx.v3.global.transactions.native.post({
      sp_appid: sp.appid,
      sp_mchid: sp.mchid,
      sub_mchid: sub.mchid,
      description: 'g',
      out_trade_no: 'G3',
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 10, currency: 'HKD' },
    });
    await wx.v3.global.micropay.transactions.pay.post({
      sp_appid: sp.appid,
      sp_mchid: sp.mchid,
      sub_mchid: sub.mchid,
      description: 'g',
      out_trade_no: 'G4',
      payer: { auth_code: '134567890123456789' },
      amount: { total: 10, currency: 'HKD' },
    });
    await gw.advance(sub.mchid, 300);
    const ids = { sp_mchid: sp.mchid, sub_mchid: sub.mchid };
    assert.equal((await wx.hk.v3.transactions.outTradeNo.$out_trade_no$.close.post(ids, { out_trade_no: 'G3' })).status, 204);
    assert.equal((await wx.hk.v3.transactions.outTradeNo.$out_trade_no$.reverse.post(ids, { out_trade_no: 'G4' })).status, 204);
    assert.equal(await state(sub.mchid, 'G3'), 'CLOSED');
    assert.equal(await state(sub.mchid, 'G4'), 'REVOKED');
    const foreign = await gw.newMerchant({ mode: 'service_provider', region: 'global' });
    const denied = await refused(
      merchantClient(foreign).v3.global.transactions.outTradeNo.$out_trade_no$.close.post(
        { sp_mchid: foreign.mchid, sub_mchid: sub.mchid },
        { out_trade_no: 'G3' },
      ),
    );
    assert.deepEqual([denied.status, denied.data.code], [403, 'NO_AUTH']);
  });

  test('micropay reverse at +10 s → 429 RATE_LIMITED; refunds; query by id and out-trade-no', async () => {
    const wx = merchantClient(hk);
    const paid = await wx.v3.global.micropay.transactions.pay.post({
      appid: hk.appid,
      mchid: hk.mchid,
      description: 'g',
      out_trade_no: 'G5',
      payer: { auth_code: '134567890123456789' },
      amount: { total: 1000, currency: 'HKD' },
    });
    const early = await refused(wx.v3.global.micropay.transactions.id.$id$.reverse.post({ mchid: hk.mchid }, { id: paid.data.id }));
    assert.deepEqual([early.status, early.data.code], [429, 'RATE_LIMITED']);
    const refund = await wx.v3.global.refunds.post({
      mchid: hk.mchid,
      out_trade_no: 'G5',
      out_refund_no: 'G5R',
      amount: { refund: 100, total: 1000, currency: 'HKD' },
    });
    assert.equal(refund.data.status, 'PROCESSING');
    assert.equal(refund.data.amount.payer_refund, 92);
    const byId = await wx.v3.global.transactions.id.$id$.get({ params: { mchid: hk.mchid }, id: paid.data.id });
    assert.equal(byId.data.trade_state, 'REFUND');
    await gw.advance(hk.mchid, 1);
    const q = await wx.v3.global.refunds.outRefundNo.$no$.get({ params: { mchid: hk.mchid }, no: 'G5R' });
    assert.equal(q.data.status, 'SUCCESS');
  });

  test('/v3/global/certificates lists the platform certificate', async () => {
    const res = await merchantClient(hk).v3.global.certificates.get();
    assert.equal(res.data.data[0].serial_no, hk.platformSerialNo);
  });
});
