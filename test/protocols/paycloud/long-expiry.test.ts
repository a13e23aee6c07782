/** Matrix row 3 (PV): an unpaid order with a long `expires` is still payable after a day, but no longer voidable. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { assertRefused, PayCloudClient, type AppCredentials } from './paycloud-client.ts';

const database = primaryDatabase();
let gw: TestGateway;
before(async () => {
  gw = await startTestGateway(database);
});
after(async () => {
  await gw.close();
});

test('void of an unpaid 3-day order after 1 day → 2006, state unchanged (trans_status 9)', async () => {
  const c = await gw.newMerchant();
  const pc = new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, 'form');
  await pc.call('cscanb.pay.getqrcode', {
    merchant_order_no: 'LONG1',
    pay_method_id: 'WeChatPay',
    price_currency: 'JPY',
    trans_amount: '500',
    description: 'x',
    expires: '259200',
  });
  await gw.advance(c.mchid, 86400 + 1);
  assertRefused(await pc.call('order.revoker', { merchant_order_no: 'LONG1' }), '2006');
  const q = await pc.call('order.query', { merchant_order_no: 'LONG1' });
  assert.equal(q.data.trans_status, 9);
  await gw.advance(c.mchid, 2 * 86400);
  assert.equal((await pc.call('order.query', { merchant_order_no: 'LONG1' })).data.trans_status, 1, 'expired after its 3 days');
});
