/**
 * PayCloud notifications (paycloud-openapi.md §10, project choice): `POST notify_url`, a flat JSON object signed
 * with the gateway key by the same §3 rule as API calls. The body is built and signed once; every retry sends
 * the same bytes (same `timestamp` and `sign`), so merchants deduplicate on `trans_no` + `trans_status`.
 */
import type { MerchantStore } from '../../core/ports.ts';
import { PAYCLOUD_RETRY_DELAYS, type NotificationEncoder, type NotificationSubject } from '../../notify/encoder.ts';
import { payCloudAppOf } from '../../store/paycloud-apps.ts';
import { gatewayKeys } from './gateway-key.ts';
import { signPayCloud } from './sign.ts';
import { extraOf, orderData, refundData } from './views.ts';

/** The query view's fields a notification repeats (§10 lists them; the rest stay query-only). */
const PAYMENT_FIELDS = [
  'trans_no',
  'merchant_order_no',
  'trans_type',
  'trans_status',
  'price_currency',
  'order_amount',
  'trans_amount',
  'pay_method_id',
  'pay_scenario',
  'attach',
  'store_no',
  'terminal_sn',
  'pay_channel_trans_no',
  'pay_user_account_id',
  'paid_amount',
  'trans_end_time',
  'exchange_rate',
  'trans_error_code',
  'trans_error_msg',
] as const;

function pick(source: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (source[name] !== undefined && source[name] !== null && source[name] !== '') out[name] = source[name];
  return out;
}

/** The business fields of one notification, before the envelope fields and the signature. */
function businessFields(subject: NotificationSubject): Record<string, unknown> {
  const { order, refund } = subject;
  if (subject.kind === 'payment' || !refund) return pick(orderData(order), PAYMENT_FIELDS);
  const x = extraOf(order);
  const fields = pick(refundData(refund, order), [
    'trans_no',
    'merchant_order_no',
    'trans_type',
    'trans_status',
    'price_currency',
    'order_amount',
    'trans_amount',
    'trans_end_time',
    'orig_trans_no',
    'orig_merchant_order_no',
  ]);
  fields.pay_method_id = x.payMethodId ?? '';
  fields.pay_scenario = x.payScenario ?? '';
  if (order.attach) fields.attach = order.attach;
  if (x.storeNo) fields.store_no = x.storeNo;
  if (x.terminalSn) fields.terminal_sn = x.terminalSn;
  if (refund.status === 'CLOSED' || refund.status === 'ABNORMAL') {
    fields.trans_error_code = 'REFUND_FAILED';
    fields.trans_error_msg = 'The refund failed';
  }
  return fields;
}

/** The text each value is signed as: strings as they are, numbers as JSON prints them (the receiver reads that token). */
function signedText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The encoder for orders made through the PayCloud dialect; the gateway key comes from `store` (shared by all processes). */
export function payCloudNotificationEncoder(store: Pick<MerchantStore, 'gatewaySecret'>): NotificationEncoder {
  return {
    async body(subject, wallNow) {
      const app = payCloudAppOf(subject.merchant);
      const fields: Record<string, unknown> = {
        app_id: extraOf(subject.order).appId ?? app?.appId ?? '',
        merchant_no: app?.merchantNo ?? subject.order.mchid,
        sign_type: 'RSA2',
        timestamp: String(wallNow),
        ...businessFields(subject),
      };
      const signed = new Map(Object.entries(fields).map(([k, v]) => [k, signedText(v)] as [string, string]));
      const sign = await signPayCloud(signed, (await gatewayKeys(store)).privateKey);
      return JSON.stringify({ ...fields, sign });
    },
    async headers() {
      return { 'content-type': 'application/json; charset=utf-8' };
    },
    acknowledged(status, responseBody) {
      return status === 200 && responseBody.trim().toLowerCase() === 'success';
    },
    retryDelays: PAYCLOUD_RETRY_DELAYS,
  };
}
