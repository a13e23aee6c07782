/**
 * Service-provider mode: a provider acts for its own sub-merchants only. Every violation answers NO_AUTH and
 * changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { merchantClient, refused, startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';

const database = primaryDatabase();

describe('APIv3 service providers', () => {
  let gw: TestGateway;
  let sp: Credentials;
  let sub: Credentials;
  let otherSp: Credentials;
  let foreignSub: Credentials;
  let direct: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    sp = await gw.newMerchant({ mode: 'service_provider' });
    sub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: sp.mchid });
    otherSp = await gw.newMerchant({ mode: 'service_provider' });
    foreignSub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: otherSp.mchid });
    direct = await gw.newMerchant();
  });
  after(async () => {
    await gw.close();
  });

  const codepay = (subMchid: string, no: string) => ({
    sp_appid: sp.appid,
    sp_mchid: sp.mchid,
    sub_mchid: subMchid,
    description: 'sp',
    out_trade_no: no,
    payer: { auth_code: '134567890123456789' },
    amount: { total: 300, currency: 'CNY' },
    scene_info: { store_info: { out_id: 'S' } },
  });
  const sandboxState = async (mchid: string, no: string) => {
    const res = await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`);
    return res.status === 200 ? res.body.state : res.status;
  };

  test('provisioning: provider and sub-merchant credentials', () => {
    assert.equal(sp.mode, 'service_provider');
    assert.ok(sp.merchantPrivateKeyPem);
    assert.deepEqual(Object.keys(sub).sort(), ['appid', 'baseUrl', 'mchid', 'mode', 'spMchid']);
    assert.equal(sub.spMchid, sp.mchid);
    assert.equal(direct.mode, 'direct');
  });

  test("a provider pays, queries and reverses its sub-merchant's order", async () => {
    const wx = merchantClient(sp);
    const paid = await wx.v3.pay.partner.transactions.codepay.post(codepay(sub.mchid, 'SP1'));
    assert.equal(paid.data.sub_mchid, sub.mchid);
    assert.equal(paid.data.sp_mchid, sp.mchid);
    assert.ok(paid.data.payer.sp_openid);
    const q = await wx.v3.pay.partner.transactions.outTradeNo.$out_trade_no$.get({ params: { sp_mchid: sp.mchid, sub_mchid: sub.mchid }, out_trade_no: 'SP1' });
    assert.equal(q.data.trade_state, 'SUCCESS');
    await gw.advance(sub.mchid, 16);
    const reversed = await wx.v3.pay.partner.transactions.outTradeNo.$out_trade_no$.reverse.post(
      { sp_appid: sp.appid, sp_mchid: sp.mchid, sub_mchid: sub.mchid },
      { out_trade_no: 'SP1' },
    );
    assert.deepEqual(reversed.data, { sp_appid: sp.appid, sp_mchid: sp.mchid, sub_mchid: sub.mchid, out_trade_no: 'SP1' });
    assert.equal(await sandboxState(sub.mchid, 'SP1'), 'REVOKED');
  });

  test('a provider closes a native order of its sub-merchant', async () => {
    const wx = merchantClient(sp);
    await wx.v3.pay.partner.transactions.native.post({
      sp_appid: sp.appid,
      sp_mchid: sp.mchid,
      sub_mchid: sub.mchid,
      description: 'n',
      out_trade_no: 'SPN1',
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 100 },
    });
    await gw.advance(sub.mchid, 300);
    const res = await wx.v3.pay.partner.transactions.outTradeNo.$out_trade_no$.close.post(
      { sp_mchid: sp.mchid, sub_mchid: sub.mchid },
      { out_trade_no: 'SPN1' },
    );
    assert.equal(res.status, 204);
    assert.equal(await sandboxState(sub.mchid, 'SPN1'), 'CLOSED');
  });

  test("another provider cannot reach the sub-merchant's order; nothing changes", async () => {
    const mine = merchantClient(sp);
    await mine.v3.pay.partner.transactions.codepay.post(codepay(sub.mchid, 'SP2'));
    await gw.advance(sub.mchid, 16);
    const thief = merchantClient(otherSp);
    const reverse = await refused(
      thief.v3.pay.partner.transactions.outTradeNo.$out_trade_no$.reverse.post(
        { sp_appid: otherSp.appid, sp_mchid: otherSp.mchid, sub_mchid: sub.mchid },
        { out_trade_no: 'SP2' },
      ),
    );
    assert.deepEqual([reverse.status, reverse.data.code], [403, 'NO_AUTH']);
    const query = await refused(
      thief.v3.pay.partner.transactions.outTradeNo.$out_trade_no$.get({ params: { sp_mchid: otherSp.mchid, sub_mchid: sub.mchid }, out_trade_no: 'SP2' }),
    );
    assert.deepEqual([query.status, query.data.code], [403, 'NO_AUTH']);
    const refund = await refused(
      thief.v3.refund.domestic.refunds.post({
        sub_mchid: sub.mchid,
        out_trade_no: 'SP2',
        out_refund_no: 'X1',
        amount: { refund: 1, total: 300, currency: 'CNY' },
      }),
    );
    assert.deepEqual([refund.status, refund.data.code], [403, 'NO_AUTH']);
    assert.equal(await sandboxState(sub.mchid, 'SP2'), 'SUCCESS');
  });

  test("a provider cannot act for a foreign sub-merchant, a direct merchant, or in another's name", async () => {
    const wx = merchantClient(sp);
    const foreign = await refused(wx.v3.pay.partner.transactions.codepay.post(codepay(foreignSub.mchid, 'SP3')));
    assert.deepEqual([foreign.status, foreign.data.code], [403, 'NO_AUTH']);
    const asDirect = await refused(wx.v3.pay.partner.transactions.codepay.post(codepay(direct.mchid, 'SP4')));
    assert.deepEqual([asDirect.status, asDirect.data.code], [403, 'NO_AUTH']);
    const spoof = await refused(wx.v3.pay.partner.transactions.codepay.post({ ...codepay(foreignSub.mchid, 'SP5'), sp_mchid: otherSp.mchid }));
    assert.deepEqual([spoof.status, spoof.data.code], [403, 'NO_AUTH']);
    assert.equal(await sandboxState(foreignSub.mchid, 'SP3'), 404);
    assert.equal(await sandboxState(direct.mchid, 'SP4'), 404);
  });

  test("a direct merchant never reaches another merchant's order, nor the partner API", async () => {
    const owner = merchantClient(direct);
    await owner.v3.pay.transactions.codepay.post({
      appid: direct.appid,
      mchid: direct.mchid,
      description: 'd',
      out_trade_no: 'D1',
      payer: { auth_code: '134567890123456789' },
      amount: { total: 100 },
      scene_info: { store_info: { out_id: 'S' } },
    });
    const other = await gw.newMerchant();
    const wx = merchantClient(other);
    const query = await refused(wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: direct.mchid }, out_trade_no: 'D1' }));
    assert.deepEqual([query.status, query.data.code], [403, 'NO_AUTH']);
    const own = await refused(wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: other.mchid }, out_trade_no: 'D1' }));
    assert.deepEqual([own.status, own.data.code], [404, 'ORDER_NOT_EXIST']);
    await gw.advance(direct.mchid, 16);
    const reverse = await refused(
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: other.appid, mchid: direct.mchid }, { out_trade_no: 'D1' }),
    );
    assert.deepEqual([reverse.status, reverse.data.code], [403, 'NO_AUTH']);
    const partner = await refused(wx.v3.pay.partner.transactions.codepay.post({ ...codepay(sub.mchid, 'D2'), sp_mchid: other.mchid, sp_appid: other.appid }));
    assert.deepEqual([partner.status, partner.data.code], [403, 'NO_AUTH']);
    assert.equal(await sandboxState(direct.mchid, 'D1'), 'SUCCESS');
  });
});
