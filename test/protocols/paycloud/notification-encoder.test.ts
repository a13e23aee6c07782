/** PayCloud notifications (paycloud-openapi.md §10): flat JSON, signed with the gateway key by the §3 rule. */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { DEFAULT_SETTINGS, type Merchant, type MerchantSecrets } from '../../../src/core/merchant.ts';
import type { Refund } from '../../../src/core/order.ts';
import { PAYCLOUD_RETRY_DELAYS } from '../../../src/notify/encoder.ts';
import { payCloudNotificationEncoder } from '../../../src/protocols/paycloud/notification-encoder.ts';
import { generateDerKeyPair, type DerKeyPair } from '../../../src/store/paycloud-apps.ts';
import { anOrder, T0 } from '../../helpers/orders.ts';
import { signingString } from './paycloud-client.ts';

const gatewayPair = generateDerKeyPair();
const store = {
  async gatewaySecret<T>(_name: string, _create: () => Promise<T>): Promise<T> {
    return (await gatewayPair) as T;
  },
};

const merchant: Merchant = {
  mchid: '1900000001',
  appid: 'wx1',
  kind: 'direct',
  parentMchid: null,
  region: 'mainland',
  settings: DEFAULT_SETTINGS,
  clockOffsetMs: 0,
  createdAt: 0,
  secrets: { paycloud: { appId: 'wz715fc0d10ee9d156', merchantNo: '1900000001' } } as unknown as MerchantSecrets,
};

const order = anOrder('REFUND', 'NATIVE', {
  protocol: 'paycloud',
  outTradeNo: 'Q1',
  transactionId: '20260101000000000001',
  amount: 20006,
  attach: '',
  extra: {
    appId: 'wz715fc0d10ee9d156',
    payMethodId: 'WeChatPay',
    payScenario: 'SCANQR_PAY',
    storeNo: 'S1',
    terminalSn: null,
    payChannelTransNo: '4200000000202601010000000001',
    exchangeRate: '1',
    transAmountCny: 20006,
  },
});

const refund: Refund = {
  refundId: '20260101000000000002',
  orderId: order.id,
  mchid: order.mchid,
  outRefundNo: 'Q1-R1',
  amount: 10000,
  currency: 'CNY',
  status: 'SUCCESS',
  cause: 'refund',
  reason: null,
  notifyUrl: 'http://127.0.0.1:9/n',
  fingerprint: 'f',
  protocol: 'paycloud',
  createdAt: T0,
  settleAt: T0 + 1000,
  successAt: T0 + 1000,
};

/** What a merchant does with the body: verify `sign` over the other top-level fields with the gateway public key. */
async function verified(body: string, pair: DerKeyPair): Promise<Record<string, any>> {
  const fields = JSON.parse(body) as Record<string, unknown>;
  const { sign, ...rest } = fields;
  assert.equal(typeof sign, 'string');
  const text = signingString(Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)])));
  const key = createPublicKey({ key: Buffer.from(pair.publicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
  assert.ok(verify('sha256', Buffer.from(text, 'utf8'), key, Buffer.from(sign as string, 'base64')), `signature over ${text}`);
  return fields;
}

describe('payCloudNotificationEncoder', () => {
  const encoder = payCloudNotificationEncoder(store);
  const wallNow = Date.UTC(2026, 0, 1, 0, 0, 5);

  test('payment: flat fields, payment facts, signed with the gateway key', async () => {
    const subject = { kind: 'payment' as const, order, refund: null, signer: merchant, merchant };
    const body = await verified(await encoder.body(subject, wallNow), await gatewayPair);
    assert.deepEqual(body, {
      app_id: 'wz715fc0d10ee9d156',
      merchant_no: '1900000001',
      sign_type: 'RSA2',
      timestamp: String(wallNow),
      trans_no: '20260101000000000001',
      merchant_order_no: 'Q1',
      trans_type: 1,
      trans_status: 2,
      price_currency: 'CNY',
      order_amount: 200.06,
      trans_amount: 200.06,
      pay_method_id: 'WeChatPay',
      pay_scenario: 'SCANQR_PAY',
      store_no: 'S1',
      pay_channel_trans_no: '4200000000202601010000000001',
      paid_amount: 200.06,
      trans_end_time: '2026-01-01 00:00:00',
      exchange_rate: '1',
      sign: body.sign,
    });
    assert.deepEqual(await encoder.headers('{}', subject, wallNow), { 'content-type': 'application/json; charset=utf-8' });
  });

  test('refund: the refund record with its original order', async () => {
    const subject = { kind: 'refund' as const, order, refund, signer: merchant, merchant };
    const body = await verified(await encoder.body(subject, wallNow), await gatewayPair);
    assert.equal(body.trans_no, '20260101000000000002');
    assert.equal(body.merchant_order_no, 'Q1-R1');
    assert.deepEqual([body.trans_type, body.trans_status, body.trans_amount, body.order_amount], [3, 2, 100, 200.06]);
    assert.deepEqual([body.orig_trans_no, body.orig_merchant_order_no], ['20260101000000000001', 'Q1']);
    assert.equal(body.trans_end_time, '2026-01-01 00:00:01');
  });

  test('acknowledged only by HTTP 200 and a body that is "success" after trimming, in any case', () => {
    assert.ok(encoder.acknowledged(200, 'success'));
    assert.ok(encoder.acknowledged(200, '  SUCCESS\r\n'));
    assert.ok(!encoder.acknowledged(200, 'fail'));
    assert.ok(!encoder.acknowledged(200, '{"code":"success"}'));
    assert.ok(!encoder.acknowledged(500, 'success'));
    assert.equal(encoder.retryDelays, PAYCLOUD_RETRY_DELAYS);
    assert.equal(encoder.retryDelays.length, 14, 'first attempt + 14 retries = 15 attempts');
  });
});
