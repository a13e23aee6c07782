/**
 * APIv2 notifications: the pay notify XML verifies with wechatpay-axios-plugin's own signing helper in the
 * order's algorithm; the refund notify's req_info decrypts with its AES-256-ECB helper; retries resend the same
 * bytes until the merchant answers return_code SUCCESS.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Aes, Hash, Transformer } from 'wechatpay-axios-plugin';
import { primaryDatabase } from '../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { v2Client } from '../protocols/wechatpay-v2/v2-client.ts';

const database = primaryDatabase();
const OK = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

describe('APIv2 notifications', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database, undefined, { tls: true });
  });
  after(async () => {
    await gw.close();
  });

  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    test(`pay notify signed in ${signType}, then refund notify with req_info`, async () => {
      const rx = await startReceiver((n) => (n === 1 ? { status: 200, body: '<xml><return_code>FAIL</return_code></xml>' } : { status: 200, body: OK }));
      try {
        const c = await gw.newMerchant();
        const wx = v2Client(c);
        const id = { appid: c.appid, mch_id: c.mchid };
        await wx.v2.pay.unifiedorder.post({
          ...id,
          body: 'notify',
          out_trade_no: 'V2N1',
          total_fee: '800',
          spbill_create_ip: '10.0.0.1',
          notify_url: rx.url,
          trade_type: 'NATIVE',
          product_id: 'P1',
          ...(signType === 'HMAC-SHA256' ? { sign_type: signType } : {}),
        });
        await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/V2N1/pay`);
        await gw.notifier.tick();
        await gw.advance(c.mchid, 15);
        await gw.notifier.tick();
        assert.equal(rx.received.length, 2, 'a FAIL answer is a failed attempt: retried after 15 s');
        assert.equal(rx.received[0]!.body, rx.received[1]!.body, 'the retry resends the same bytes');
        const pay = (Transformer as any).toObject(rx.received[0]!.body) as Record<string, string>;
        assert.deepEqual(
          [pay.return_code, pay.result_code, pay.out_trade_no, pay.total_fee, pay.appid, pay.mch_id],
          ['SUCCESS', 'SUCCESS', 'V2N1', '800', c.appid, c.mchid],
        );
        assert.equal(pay.sign_type, signType === 'HMAC-SHA256' ? 'HMAC-SHA256' : undefined);
        const { sign, ...unsigned } = pay;
        assert.equal((Hash as any).sign(signType, unsigned, c.apiV2Key), sign);

        const order = (await wx.v2.pay.orderquery.post({ ...id, out_trade_no: 'V2N1' })).data;
        await wx.v2.secapi.pay.refund.post(
          {
            ...id,
            transaction_id: order.transaction_id,
            out_refund_no: 'V2N1-R',
            total_fee: '800',
            refund_fee: '300',
            notify_url: rx.url,
          },
          { security: true },
        );
        await gw.advance(c.mchid, 1);
        await gw.notifier.tick();
        assert.equal(rx.received.length, 3);
        const refund = (Transformer as any).toObject(rx.received[2]!.body) as Record<string, string>;
        assert.equal(refund.sign, undefined, 'the refund notify carries no sign');
        const key = createHash('md5').update(c.apiV2Key).digest('hex');
        const inner = (Transformer as any).toObject(
          (Aes as any).AesEcb.decrypt(refund.req_info, key).replace(/^<root>|<\/root>$/g, (t: string) => t.replace('root', 'xml')),
        );
        assert.deepEqual([inner.out_refund_no, inner.refund_fee, inner.refund_status], ['V2N1-R', '300', 'SUCCESS']);
      } finally {
        await rx.close();
      }
    });
  }
});
