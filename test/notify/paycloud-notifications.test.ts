/** PayCloud notifications end to end: signed flat JSON with the gateway key, retried until the merchant says `success`. */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { PayCloudClient, signingString, type AppCredentials } from '../protocols/paycloud/paycloud-client.ts';

const database = primaryDatabase();

describe('PayCloud notifications', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database);
  });
  after(async () => {
    await gw.close();
  });

  test('QR payment and refund notifications verify with the gateway public key; `success` acknowledges', async () => {
    const rx = await startReceiver((n) => (n === 1 ? { status: 200, body: 'fail' } : { status: 200, body: ' SUCCESS\n' }));
    try {
      const c = await gw.newMerchant();
      const app = c.paycloud as AppCredentials & { gatewayPublicKeySpkiBase64: string };
      const pc = new PayCloudClient(c.baseUrl, app, 'json');
      await pc.call('cscanb.pay.getqrcode', {
        merchant_order_no: 'PN1',
        pay_method_id: 'WeChatPay',
        price_currency: 'CNY',
        trans_amount: '12.34',
        description: 'tea',
        notify_url: rx.url,
      });
      await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/PN1/pay`);
      await gw.notifier.tick();
      await gw.advance(c.mchid, 5);
      await gw.notifier.tick();
      assert.equal(rx.received.length, 2, 'an answer other than `success` is retried after 5 s');
      const gatewayKey = createPublicKey({ key: Buffer.from(app.gatewayPublicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
      const check = (body: string) => {
        const fields = JSON.parse(body) as Record<string, unknown>;
        const { sign, ...rest } = fields;
        // Numbers are signed as the JSON token the receiver reads (JSON.stringify of a number prints that token).
        const asText = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
        assert.ok(verify('sha256', Buffer.from(signingString(asText)), gatewayKey, Buffer.from(String(sign), 'base64')), 'signed by the gateway');
        return fields;
      };
      const paid = check(rx.received[1]!.body) as Record<string, unknown>;
      assert.deepEqual([paid.merchant_order_no, paid.trans_type, paid.trans_status, paid.trans_amount], ['PN1', 1, 2, 12.34]);

      await pc.call('order.refund.submit', {
        orig_merchant_order_no: 'PN1',
        merchant_order_no: 'PN1-R',
        price_currency: 'CNY',
        trans_amount: '2.34',
        notify_url: rx.url,
      });
      await gw.advance(c.mchid, 1);
      await gw.notifier.tick();
      assert.equal(rx.received.length, 3);
      const refund = check(rx.received[2]!.body) as Record<string, unknown>;
      assert.deepEqual([refund.merchant_order_no, refund.trans_type, refund.trans_status, refund.orig_merchant_order_no], ['PN1-R', 3, 2, 'PN1']);
      const [latest] = (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/notifications`)).body.data;
      assert.equal(latest.status, 'delivered');
    } finally {
      await rx.close();
    }
  });
});
