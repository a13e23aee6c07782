/**
 * The merchant's view: wechatpay-axios-plugin, configured only with the base URL and the credentials JSON,
 * against a gateway on a real port. Every response it accepts has passed its signature verification.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { merchantClient, refused, startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';

const AUTH = { success: '134567890123450000', confirmsIn10s: '134567890123450001', abandons: '134567890123450002', systemErrorPaid: '134567890123450005' };

function codepay(c: Credentials, outTradeNo: string, authCode: string, total = 1000) {
  return {
    appid: c.appid,
    mchid: c.mchid,
    description: 'code payment',
    out_trade_no: outTradeNo,
    payer: { auth_code: authCode },
    amount: { total, currency: 'CNY' },
    scene_info: { store_info: { out_id: 'S1' } },
  };
}

function native(c: Credentials, outTradeNo: string, total = 1000) {
  return {
    appid: c.appid,
    mchid: c.mchid,
    description: 'native order',
    out_trade_no: outTradeNo,
    notify_url: 'http://127.0.0.1:9/notify',
    amount: { total, currency: 'CNY' },
  };
}

const database = primaryDatabase();

for (const mode of ['certificate', 'public_key'] as const) {
  describe(`APIv3 with wechatpay-axios-plugin (${mode} mode)`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(database);
    });
    after(async () => {
      await gw.close();
    });

    const setup = async () => {
      const c = await gw.newMerchant();
      return { c, wx: merchantClient(c, mode) };
    };
    const query = (wx: any, c: Credentials, no: string) =>
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: no });
    const reverse = (wx: any, c: Credentials, no: string) =>
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: c.appid, mchid: c.mchid }, { out_trade_no: no });
    const close = (wx: any, c: Credentials, no: string) =>
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: c.mchid }, { out_trade_no: no });

    test('codepay → query SUCCESS → reverse at +16 s → query REVOKED with one refund', async () => {
      const { c, wx } = await setup();
      const paid = await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP1', AUTH.success));
      assert.equal(paid.status, 200);
      assert.equal(paid.data.trade_state, 'SUCCESS');
      assert.equal(paid.data.trade_type, 'MICROPAY');
      assert.match(paid.data.transaction_id, /^4200\d{24}$/);
      assert.equal((await query(wx, c, 'CP1')).data.trade_state, 'SUCCESS');
      const early = await refused(reverse(wx, c, 'CP1'));
      assert.deepEqual([early.status, early.data.code], [429, 'FREQUENCY_LIMITED']);
      await gw.advance(c.mchid, 16);
      const reversed = await reverse(wx, c, 'CP1');
      assert.equal(reversed.status, 200);
      assert.deepEqual(reversed.data, { appid: c.appid, mchid: c.mchid, out_trade_no: 'CP1' });
      assert.equal((await query(wx, c, 'CP1')).data.trade_state, 'REVOKED');
      const view = await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/CP1`);
      assert.deepEqual(
        view.body.refunds.map((r: any) => [r.cause, r.amount, r.status]),
        [['reverse', 1000, 'SUCCESS']],
      );
      assert.deepEqual((await reverse(wx, c, 'CP1')).data.out_trade_no, 'CP1', 'a repeat reverse answers the same');
    });

    test('reverse at +10 s refused; after 7 days REVERSE_EXPIRE', async () => {
      const { c, wx } = await setup();
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP2', AUTH.success));
      await gw.advance(c.mchid, 10);
      assert.equal((await refused(reverse(wx, c, 'CP2'))).data.code, 'FREQUENCY_LIMITED');
      await gw.advance(c.mchid, 7 * 86400);
      const late = await refused(reverse(wx, c, 'CP2'));
      assert.deepEqual([late.status, late.data.code], [400, 'REVERSE_EXPIRE']);
      assert.equal((await query(wx, c, 'CP2')).data.trade_state, 'SUCCESS');
    });

    test('native → close after 5 min → 204 → CLOSED → the payer cannot pay', async () => {
      const { c, wx } = await setup();
      const created = await wx.v3.pay.transactions.native.post(native(c, 'N1'));
      assert.match(created.data.code_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
      const early = await refused(close(wx, c, 'N1'));
      assert.deepEqual([early.status, early.data.code], [429, 'FREQUENCY_LIMITED']);
      await gw.advance(c.mchid, 300);
      const closed = await close(wx, c, 'N1');
      assert.equal(closed.status, 204);
      assert.equal(closed.data, '');
      assert.equal((await query(wx, c, 'N1')).data.trade_state, 'CLOSED');
      assert.equal((await close(wx, c, 'N1')).status, 204, 'a repeat close answers 204');
      const pay = await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/N1/pay`);
      assert.deepEqual([pay.status, pay.body.error], [409, 'ORDER_CLOSED']);
    });

    test('close of a paid order → ORDER_PAID; close of a code payment → use reverse', async () => {
      const { c, wx } = await setup();
      await wx.v3.pay.transactions.native.post(native(c, 'N2'));
      await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/N2/pay`);
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP3', AUTH.success));
      await gw.advance(c.mchid, 600);
      const paid = await refused(close(wx, c, 'N2'));
      assert.deepEqual([paid.status, paid.data.code], [400, 'ORDER_PAID']);
      const code = await refused(close(wx, c, 'CP3'));
      assert.deepEqual([code.status, code.data.code], [400, 'ORDER_PAID']);
      assert.equal((await query(wx, c, 'N2')).data.trade_state, 'SUCCESS');
    });

    test('close of an unpaid code-payment order is refused: reverse only', async () => {
      const { c, wx } = await setup();
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP4', AUTH.abandons)).catch(() => undefined);
      await gw.advance(c.mchid, 600);
      assert.equal((await query(wx, c, 'CP4')).data.trade_state, 'PAYERROR');
      const res = await refused(close(wx, c, 'CP4'));
      assert.deepEqual([res.status, res.data.code], [400, 'INVALID_REQUEST']);
    });

    test('refund partially twice, then an over-refund is refused', async () => {
      const { c, wx } = await setup();
      const paid = await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP5', AUTH.success));
      const refund = (no: string, amount: number) =>
        wx.v3.refund.domestic.refunds.post({
          transaction_id: paid.data.transaction_id,
          out_refund_no: no,
          amount: { refund: amount, total: 1000, currency: 'CNY' },
        });
      const r1 = await refund('RF1', 400);
      assert.equal(r1.data.status, 'PROCESSING');
      assert.equal(r1.data.amount.refund, 400);
      await refund('RF2', 400);
      const over = await refused(refund('RF3', 201));
      assert.deepEqual([over.status, over.data.code], [400, 'INVALID_REQUEST']);
      await gw.advance(c.mchid, 2);
      const q = await wx.v3.refund.domestic.refunds.$out_refund_no$.get({ out_refund_no: 'RF1' });
      assert.equal(q.data.status, 'SUCCESS');
      assert.equal((await query(wx, c, 'CP5')).data.trade_state, 'REFUND');
      const missing = await refused(wx.v3.refund.domestic.refunds.$out_refund_no$.get({ out_refund_no: 'RF3' }));
      assert.deepEqual([missing.status, missing.data.code], [404, 'RESOURCE_NOT_EXISTS']);
    });

    test('…0005: SYSTEMERROR but paid → query SUCCESS → reverse refunds', async () => {
      const { c, wx } = await setup();
      const res = await refused(wx.v3.pay.transactions.codepay.post(codepay(c, 'CP6', AUTH.systemErrorPaid)));
      assert.deepEqual([res.status, res.data.code], [500, 'SYSTEM_ERROR']);
      assert.equal((await query(wx, c, 'CP6')).data.trade_state, 'SUCCESS');
      await gw.advance(c.mchid, 16);
      await reverse(wx, c, 'CP6');
      const view = await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/CP6`);
      assert.equal(view.body.state, 'REVOKED');
      assert.equal(view.body.refunds[0].amount, 1000);
    });

    test('…0002: reverse at +20 s → 202 USER_PAYING; at +31 s (PAYERROR) reverse succeeds', async () => {
      const { c, wx } = await setup();
      const res = await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP7', AUTH.abandons));
      assert.deepEqual([res.status, res.data.trade_state], [202, 'USERPAYING']);
      await gw.advance(c.mchid, 20);
      const paying = await reverse(wx, c, 'CP7');
      assert.deepEqual([paying.status, paying.data], [202, { code: 'USER_PAYING', message: '用户支付中，请稍后重试' }]);
      await gw.advance(c.mchid, 11);
      assert.equal((await query(wx, c, 'CP7')).data.trade_state, 'PAYERROR');
      assert.equal((await reverse(wx, c, 'CP7')).status, 200);
      assert.equal((await query(wx, c, 'CP7')).data.trade_state, 'REVOKED');
    });

    test('…0001: the payer confirms 10 s later; query at +11 s is SUCCESS', async () => {
      const { c, wx } = await setup();
      const res = await wx.v3.pay.transactions.codepay.post(codepay(c, 'CP8', AUTH.confirmsIn10s));
      assert.equal(res.status, 202);
      assert.equal((await query(wx, c, 'CP8')).data.trade_state, 'USERPAYING');
      await gw.advance(c.mchid, 11);
      const q = await query(wx, c, 'CP8');
      assert.equal(q.data.trade_state, 'SUCCESS');
      assert.ok(q.data.success_time);
    });
  });
}
