/**
 * The Cancel order page's flows through a spec-written client against a gateway on a real port: code payment,
 * QR and web pre-orders, void in and out of its window, refunds up to the total. Time moves with the sandbox
 * clock, never by sleeping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { assertRefused, PayCloudClient, type AppCredentials } from './paycloud-client.ts';

const AUTH = {
  pays: '134567890123450000',
  password: '134567890123450001',
  neverConfirms: '134567890123450002',
  notEnough: '134567890123450003',
  systemError: '134567890123450006',
};
const database = primaryDatabase();

function barcode(no: string, amount = '10.00') {
  return { merchant_order_no: no, auth_code: AUTH.pays, price_currency: 'CNY', trans_amount: amount, description: 'coffee' };
}
function qr(no: string, amount = '10.00') {
  return { merchant_order_no: no, pay_method_id: 'WeChatPay', price_currency: 'CNY', trans_amount: amount, description: 'tea' };
}

for (const bodyType of ['form', 'json'] as const) {
  describe(`PayCloud merchant flows (${bodyType} bodies)`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(database);
    });
    after(async () => {
      await gw.close();
    });

    const setup = async () => {
      const c = await gw.newMerchant();
      return { mchid: c.mchid, pc: new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, bodyType) };
    };
    const sandboxOrder = async (mchid: string, no: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`)).body;

    test('barcode pay → query 2 → void at +16 s → query 3 with one refund; a repeat void answers the same', async () => {
      const { mchid, pc } = await setup();
      const paid = await pc.call('bscanc.pay.submit', barcode('B1'), { path: 'api/entry/cpm' });
      assert.equal(paid.envelope.code, '0');
      assert.equal(paid.data.trans_status, 2);
      assert.match(paid.data.trans_no, /^\d{8}\d{12}$/);
      assert.equal(paid.data.trans_no.slice(0, 8), new Date().toISOString().slice(0, 10).replaceAll('-', ''));
      assert.match(paid.data.pay_channel_trans_no, /^4200\d{24}$/);
      assert.equal(paid.data.trans_amount, 10);
      const q = await pc.call('order.query', { merchant_order_no: 'B1' });
      assert.deepEqual([q.data.trans_status, q.data.trans_type, q.data.pay_scenario, q.data.pay_method_id], [2, 1, 'BSCANQR_PAY', 'WeChatPay']);
      assert.equal(q.data.trans_no, paid.data.trans_no);
      const replay = await pc.call('bscanc.pay.submit', barcode('B1'));
      assert.deepEqual([replay.envelope.code, replay.data.trans_no, replay.data.trans_status], ['0', paid.data.trans_no, 2]);
      assertRefused(await pc.call('bscanc.pay.submit', barcode('B1', '10.01')), '2002');
      await gw.advance(mchid, 16);
      const voided = await pc.call('order.revoker', { merchant_order_no: 'B1' }, { path: 'api/entry/void' });
      assert.deepEqual([voided.envelope.code, voided.envelope.data], ['0', '{}']);
      assert.equal((await pc.call('order.query', { trans_no: paid.data.trans_no })).data.trans_status, 3);
      const view = await sandboxOrder(mchid, 'B1');
      assert.equal(view.state, 'REVOKED');
      assert.deepEqual(
        view.refunds.map((r: any) => [r.cause, r.amount, r.status]),
        [['void', 1000, 'SUCCESS']],
      );
      assert.equal((await pc.call('order.revoker', { merchant_order_no: 'B1' })).envelope.code, '0', 'repeat void');
      assert.equal((await sandboxOrder(mchid, 'B1')).refunds.length, 1);
      assert.equal(
        (await pc.call('order.refund.submit', { orig_merchant_order_no: 'B1', merchant_order_no: 'B1-R', price_currency: 'CNY', trans_amount: '1' })).envelope
          .code,
        '2011',
      );
    });

    test('QR order → void at +16 s → cancelled; the payer can no longer pay; a replay answers the cancelled order', async () => {
      const { mchid, pc } = await setup();
      const created = await pc.call('cscanb.pay.getqrcode', qr('Q1'), { path: 'api/entry/mpm' });
      assert.equal(created.data.trans_status, 9);
      assert.match(created.data.qrcode_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
      await gw.advance(mchid, 16);
      assert.equal((await pc.call('order.revoker', { merchant_order_no: 'Q1' })).envelope.code, '0');
      assert.equal((await pc.call('order.query', { merchant_order_no: 'Q1' })).data.trans_status, 3);
      assert.equal((await gw.admin('POST', `/sandbox/merchants/${mchid}/orders/Q1/pay`)).status, 409);
      const replay = await pc.call('cscanb.pay.getqrcode', qr('Q1'));
      assert.deepEqual([replay.envelope.code, replay.data.trans_no, replay.data.trans_status], ['0', created.data.trans_no, 3]);
      assertRefused(await pc.call('cscanb.pay.getqrcode', qr('Q1', '11')), '2002');
    });

    test('void at +10 s is refused 2005 and changes nothing; after 1 day 2006', async () => {
      const { mchid, pc } = await setup();
      await pc.call('bscanc.pay.submit', barcode('B2'));
      await gw.advance(mchid, 10);
      assertRefused(await pc.call('order.revoker', { merchant_order_no: 'B2' }), '2005');
      assert.equal((await sandboxOrder(mchid, 'B2')).state, 'SUCCESS');
      await gw.advance(mchid, 86400);
      assertRefused(await pc.call('order.revoker', { merchant_order_no: 'B2' }), '2006');
      const view = await sandboxOrder(mchid, 'B2');
      assert.deepEqual([view.state, view.refunds.length], ['SUCCESS', 0]);
    });

    test('paid QR order: void refused 2004 (use refund); partial refunds up to the total, then 2008', async () => {
      const { mchid, pc } = await setup();
      const created = await pc.call('cscanb.pay.getqrcode', qr('Q2', '200.06'));
      assert.equal(created.data.trans_amount, 200.06);
      assert.equal((await gw.admin('POST', `/sandbox/merchants/${mchid}/orders/Q2/pay`)).status, 200);
      const q = await pc.call('order.query', { merchant_order_no: 'Q2' });
      assert.deepEqual([q.data.trans_status, q.data.paid_amount, q.data.pay_scenario], [2, 200.06, 'SCANQR_PAY']);
      await gw.advance(mchid, 20);
      const refused = await pc.call('order.revoker', { merchant_order_no: 'Q2' });
      assertRefused(refused, '2004');
      assert.match(refused.envelope.msg, /refund/);
      const refund = (no: string, amount: string) =>
        pc.call(
          'order.refund.submit',
          { orig_merchant_order_no: 'Q2', merchant_order_no: no, price_currency: 'CNY', trans_amount: amount },
          { path: 'api/entry/refund' },
        );
      const r1 = await refund('Q2-R1', '100');
      assert.deepEqual([r1.envelope.code, r1.data.trans_type, r1.data.trans_status, r1.data.trans_amount], ['0', 3, 0, 100]);
      assert.equal(r1.data.orig_trans_no, created.data.trans_no);
      assert.match(r1.data.trans_no, /^\d{20}$/);
      assertRefused(await refund('Q2-R2', '100.07'), '2008');
      assert.equal((await refund('Q2-R2', '100.06')).data.trans_amount, 100.06);
      assert.equal((await refund('Q2-R1', '100')).data.trans_no, r1.data.trans_no, 'a replay answers the same refund');
      assertRefused(await refund('Q2-R1', '99'), '2002');
      assertRefused(await refund('Q2-R3', '0.01'), '2008');
      await gw.advance(mchid, 1);
      const rq = await pc.call('order.refund.query', { merchant_order_no: 'Q2-R1' }, { path: 'api/entry/refundquery' });
      assert.deepEqual([rq.data.trans_status, rq.data.trans_no, rq.data.order_amount], [2, r1.data.trans_no, 200.06]);
      assert.equal((await pc.call('order.refund.query', { trans_no: r1.data.trans_no })).data.merchant_order_no, 'Q2-R1');
      assert.equal((await pc.call('order.query', { merchant_order_no: 'Q2' })).data.trans_status, 2, 'the payment record stays 2');
      const view = await sandboxOrder(mchid, 'Q2');
      assert.deepEqual([view.state, view.refunded_amount, view.refunds.length], ['REFUND', 20006, 2]);
    });

    test('code payment outcomes: password (0 → 2), insufficient balance (1), injected system error (9999)', async () => {
      const { mchid, pc } = await setup();
      const waiting = await pc.call('bscanc.pay.submit', { ...barcode('P1'), auth_code: AUTH.password });
      assert.deepEqual([waiting.envelope.code, waiting.data.trans_status], ['0', 0]);
      await gw.advance(mchid, 10);
      assert.equal((await pc.call('order.query', { merchant_order_no: 'P1' })).data.trans_status, 2);
      const failed = await pc.call('bscanc.pay.submit', { ...barcode('P2'), auth_code: AUTH.notEnough });
      assert.deepEqual([failed.envelope.code, failed.data.trans_status, failed.data.trans_error_code], ['0', 1, 'INSUFFICIENT_BALANCE']);
      assertRefused(await pc.call('bscanc.pay.submit', { ...barcode('P3'), auth_code: AUTH.systemError }), '9999');
      assert.equal((await pc.call('order.query', { merchant_order_no: 'P3' })).data.trans_status, 1);
      assertRefused(await pc.call('bscanc.pay.submit', { ...barcode('P4'), auth_code: 'ABC' }), '1001');
      await pc.call('bscanc.pay.submit', { ...barcode('P5'), auth_code: AUTH.neverConfirms });
      await gw.advance(mchid, 16);
      assertRefused(await pc.call('order.revoker', { merchant_order_no: 'P5' }), '2007');
      await gw.advance(mchid, 30);
      assert.equal((await pc.call('order.revoker', { merchant_order_no: 'P5' })).envelope.code, '0', 'a failed payment: void answers 0');
      const p5 = await pc.call('order.query', { merchant_order_no: 'P5' });
      assert.deepEqual([p5.data.trans_status, p5.data.trans_error_code], [1, 'USER_CANCELLED']);
      assertRefused(await pc.call('order.query', { merchant_order_no: 'NOPE' }), '2001');
    });

    test('pay.unifiedorder: a WAP page, paid through the sandbox payer; an expired pre-order shows 1', async () => {
      const { mchid, pc } = await setup();
      const web = await pc.call('pay.unifiedorder', { ...qr('W1'), terminal_type: 'WAP', expires: '60' });
      assert.deepEqual([web.data.trans_status, typeof web.data.pay_url], [9, 'string']);
      await gw.admin('POST', `/sandbox/merchants/${mchid}/orders/W1/pay`);
      assert.equal((await pc.call('order.query', { merchant_order_no: 'W1' })).data.pay_scenario, 'WAP_PAY');
      await pc.call('pay.unifiedorder', { ...qr('W2'), expires: '60' });
      await gw.advance(mchid, 61);
      const expired = await pc.call('order.query', { merchant_order_no: 'W2' });
      assert.deepEqual([expired.data.trans_status, expired.data.trans_error_code], [1, 'ORDER_CLOSED']);
    });
  });
}
