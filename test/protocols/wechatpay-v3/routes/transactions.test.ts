/**
 * Mainland close and reverse through wechatpay-axios-plugin: reverse must name the app (`appid`, partner
 * `sp_appid`) while close names none, and another method than POST is 405 REQUIRE_POST_METHOD, never a 404.
 * Every refusal leaves the order as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../../helpers/database.ts';
import { merchantClient, refused, startTestGateway, type Credentials, type TestGateway } from '../../../helpers/gateway.ts';

const database = primaryDatabase();
const PAYS = '134567890123450000';

describe('APIv3 Mainland close and reverse', () => {
  let gw: TestGateway;
  let direct: Credentials;
  let sp: Credentials;
  let sub: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    direct = await gw.newMerchant();
    sp = await gw.newMerchant({ mode: 'service_provider' });
    sub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: sp.mchid });
  });
  after(async () => {
    await gw.close();
  });

  const orderOf = async (mchid: string, no: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`)).body;
  const codepay = (fields: Record<string, string>, no: string) => ({
    ...fields,
    description: 'code',
    out_trade_no: no,
    payer: { auth_code: PAYS },
    amount: { total: 500, currency: 'CNY' },
    scene_info: { store_info: { out_id: 'S1' } },
  });

  test('reverse without appid → 400 PARAM_ERROR, the paid order stays SUCCESS; with appid it reverses', async () => {
    const wx = merchantClient(direct);
    await wx.v3.pay.transactions.codepay.post(codepay({ appid: direct.appid, mchid: direct.mchid }, 'RV1'));
    await gw.advance(direct.mchid, 16);
    const res = await refused(wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ mchid: direct.mchid }, { out_trade_no: 'RV1' }));
    assert.deepEqual([res.status, res.data.code, res.data.detail?.field], [400, 'PARAM_ERROR', '/appid']);
    const before = await orderOf(direct.mchid, 'RV1');
    assert.deepEqual([before.state, before.refunds.length, before.history.length], ['SUCCESS', 0, 2]);
    const ok = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: direct.appid, mchid: direct.mchid }, { out_trade_no: 'RV1' });
    assert.equal(ok.status, 200);
    assert.equal((await orderOf(direct.mchid, 'RV1')).state, 'REVOKED');
  });

  test('partner reverse without sp_appid → 400 PARAM_ERROR, nothing changed', async () => {
    const wx = merchantClient(sp);
    await wx.v3.pay.partner.transactions.codepay.post(codepay({ sp_appid: sp.appid, sp_mchid: sp.mchid, sub_mchid: sub.mchid }, 'RV2'));
    await gw.advance(sub.mchid, 16);
    const res = await refused(
      wx.v3.pay.partner.transactions.outTradeNo.$out_trade_no$.reverse.post({ sp_mchid: sp.mchid, sub_mchid: sub.mchid }, { out_trade_no: 'RV2' }),
    );
    assert.deepEqual([res.status, res.data.code, res.data.detail?.field], [400, 'PARAM_ERROR', '/sp_appid']);
    const order = await orderOf(sub.mchid, 'RV2');
    assert.deepEqual([order.state, order.refunds.length], ['SUCCESS', 0]);
  });

  test('close needs no appid: 204 without it', async () => {
    const wx = merchantClient(direct);
    await wx.v3.pay.transactions.native.post({
      appid: direct.appid,
      mchid: direct.mchid,
      description: 'n',
      out_trade_no: 'CL1',
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 100 },
    });
    await gw.advance(direct.mchid, 300);
    const res = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: direct.mchid }, { out_trade_no: 'CL1' });
    assert.equal(res.status, 204);
    assert.equal((await orderOf(direct.mchid, 'CL1')).state, 'CLOSED');
  });

  test('GET / PUT / DELETE on close and reverse (direct and partner) → 405 REQUIRE_POST_METHOD, nothing changed', async () => {
    const wx = merchantClient(direct);
    await wx.v3.pay.transactions.native.post({
      appid: direct.appid,
      mchid: direct.mchid,
      description: 'n',
      out_trade_no: 'M1',
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 100 },
    });
    await gw.advance(direct.mchid, 300);
    const path = wx.v3.pay.transactions.outTradeNo.$out_trade_no$;
    for (const call of [
      () => path.close.get({ params: { mchid: direct.mchid }, out_trade_no: 'M1' }),
      () => path.reverse.get({ params: { mchid: direct.mchid }, out_trade_no: 'M1' }),
      () => path.close.put({ mchid: direct.mchid }, { out_trade_no: 'M1' }),
      () => path.reverse.delete({ out_trade_no: 'M1' }),
      () =>
        merchantClient(sp).v3.pay.partner.transactions.outTradeNo.$out_trade_no$.close.get({
          params: { sp_mchid: sp.mchid, sub_mchid: sub.mchid },
          out_trade_no: 'M1',
        }),
    ]) {
      const res = await refused(call());
      assert.deepEqual([res.status, res.data], [405, { code: 'REQUIRE_POST_METHOD', message: '请使用POST方法' }]);
    }
    assert.equal((await orderOf(direct.mchid, 'M1')).state, 'NOTPAY');
  });
});
