/**
 * PayCloud refusals that must not change anything: a refund of a failed payment (trans_status 1) answers 2011
 * as one of a cancelled order (3) does, 2003 only for 9 / 0 (paycloud-openapi.md §8.5); an `expires` above the
 * 30-day rule is refused with 1001, never accepted and capped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { assertRefused, PayCloudClient, type AppCredentials } from './paycloud-client.ts';

const AUTH = { pays: '134567890123450000', password: '134567890123450001', neverConfirms: '134567890123450002', notEnough: '134567890123450003' };
const DAY = 86400;
const database = primaryDatabase();

describe('PayCloud refusals', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database);
  });
  after(async () => {
    await gw.close();
  });

  const setup = async () => {
    const c = await gw.newMerchant();
    return { mchid: c.mchid, pc: new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, 'form') };
  };
  const barcode = (no: string, authCode: string) => ({
    merchant_order_no: no,
    auth_code: authCode,
    price_currency: 'CNY',
    trans_amount: '10.00',
    description: 'coffee',
  });
  const refund = (no: string) => ({ orig_merchant_order_no: no, merchant_order_no: `${no}-R`, price_currency: 'CNY', trans_amount: '1' });
  const sandboxOrder = async (mchid: string, no: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`)).body;

  test('refund of a failed payment (trans_status 1: declined, or the payer never confirmed) → 2011, nothing written', async () => {
    const { mchid, pc } = await setup();
    const declined = await pc.call('bscanc.pay.submit', barcode('F1', AUTH.notEnough));
    assert.deepEqual([declined.envelope.code, declined.data.trans_status], ['0', 1]);
    assertRefused(await pc.call('order.refund.submit', refund('F1')), '2011');
    const paying = await pc.call('bscanc.pay.submit', barcode('F2', AUTH.neverConfirms));
    assert.equal(paying.data.trans_status, 0);
    assertRefused(await pc.call('order.refund.submit', refund('F2')), '2003');
    await gw.advance(mchid, 31);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'F2' })).data.trans_status, 1);
    assertRefused(await pc.call('order.refund.submit', refund('F2')), '2011');
    for (const no of ['F1', 'F2']) {
      const order = await sandboxOrder(mchid, no);
      assert.deepEqual([order.state, order.refunds.length, order.refunded_amount], ['PAYERROR', 0, 0]);
    }
  });

  test('refund of an unpaid pre-order (trans_status 9) → 2003', async () => {
    const { pc } = await setup();
    await pc.call('cscanb.pay.getqrcode', { merchant_order_no: 'U1', pay_method_id: 'WeChatPay', price_currency: 'CNY', trans_amount: '1', description: 'x' });
    assertRefused(await pc.call('order.refund.submit', refund('U1')), '2003');
  });

  test('expires of 30 days is accepted; one second more → 1001 and no order', async () => {
    const { mchid, pc } = await setup();
    const qr = (no: string, expires: string) => ({
      merchant_order_no: no,
      pay_method_id: 'WeChatPay',
      price_currency: 'CNY',
      trans_amount: '1',
      description: 'x',
      expires,
    });
    assert.equal((await pc.call('cscanb.pay.getqrcode', qr('E1', String(30 * DAY)))).envelope.code, '0');
    assertRefused(await pc.call('cscanb.pay.getqrcode', qr('E2', String(30 * DAY + 1))), '1001');
    assertRefused(await pc.call('pay.unifiedorder', { ...qr('E3', String(31 * DAY)), terminal_type: 'WEB' }), '1001');
    assertRefused(await pc.call('bscanc.pay.submit', { ...barcode('E4', AUTH.pays), expires: String(366 * DAY) }), '1001');
    for (const no of ['E2', 'E3', 'E4']) {
      assertRefused(await pc.call('order.query', { merchant_order_no: no }), '2001');
    }
    await gw.advance(mchid, 30 * DAY - 60);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'E1' })).data.trans_status, 9, 'open until its 30th day ends');
    await gw.advance(mchid, 61);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'E1' })).data.trans_status, 1);
  });
});
