/**
 * APIv2 notifications (wechatpay-v2.md §8): the pay notify XML signed with the API key in the algorithm of the
 * request that made the order; the refund notify with `req_info` (AES-256-ECB, key = md5 of the API key) and
 * no sign. The body is built once, so every retry carries the same nonce_str and sign.
 */
import { randomAlnum } from '../../lib/crypto.ts';
import { spacedCst } from '../../lib/time.ts';
import { refundOf, WECHAT_RETRY_DELAYS, type NotificationEncoder, type NotificationSubject } from '../../notify/encoder.ts';
import { encryptReqInfo } from './refund-notify-crypto.ts';
import { signV2, type SignTypeV2 } from './sign.ts';
import { micropayView, type V2Fields } from './views.ts';
import { buildXml } from './xml.ts';

/** The merchant fields: the provider's appid/mch_id and the sub-merchant's ids for a sub-merchant's order. */
function identityFields({ order, merchant, signer }: NotificationSubject): V2Fields {
  const appid = typeof order.extra.appid === 'string' ? order.extra.appid : signer.appid;
  if (signer === merchant || merchant.kind !== 'sub_merchant') return { appid, mch_id: merchant.mchid };
  const subAppid = typeof order.extra.sub_appid === 'string' ? order.extra.sub_appid : undefined;
  return { appid, mch_id: signer.mchid, sub_appid: subAppid, sub_mch_id: merchant.mchid };
}

/** Only defined, non-empty values take part in signing and in the XML. */
function defined(fields: V2Fields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') out[k] = String(v);
  return out;
}

function paymentNotification(subject: NotificationSubject, apiKey: string): string {
  const signType: SignTypeV2 = subject.order.extra.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  const fields: V2Fields = {
    return_code: 'SUCCESS',
    ...identityFields(subject),
    nonce_str: randomAlnum(32),
    result_code: 'SUCCESS',
    ...micropayView(subject.order, subject.merchant),
    ...(signType === 'HMAC-SHA256' ? { sign_type: signType } : {}),
  };
  const sign = signV2(defined(fields), apiKey, signType);
  return buildXml({ ...fields, sign });
}

function refundNotification(subject: NotificationSubject, apiKey: string): string {
  const { order } = subject;
  const refund = refundOf(subject);
  const inner = buildXml({
    transaction_id: order.transactionId ?? undefined,
    out_trade_no: order.outTradeNo,
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo ?? undefined,
    total_fee: order.amount,
    settlement_total_fee: order.amount,
    refund_fee: refund.amount,
    settlement_refund_fee: refund.amount,
    refund_status: refund.status === 'SUCCESS' ? 'SUCCESS' : refund.status === 'CLOSED' ? 'REFUNDCLOSE' : 'CHANGE',
    success_time: refund.successAt === null ? undefined : spacedCst(refund.successAt),
    refund_recv_accout: '支付用户零钱',
    refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
    refund_request_source: 'API',
  })
    .replace(/^<xml>/, '<root>')
    .replace(/<\/xml>$/, '</root>');
  return buildXml({
    return_code: 'SUCCESS',
    ...identityFields(subject),
    nonce_str: randomAlnum(32),
    req_info: encryptReqInfo(inner, apiKey),
  });
}

/** `<return_code>SUCCESS</return_code>` with or without CDATA, on HTTP 200. */
const ACK = /<return_code>\s*(?:<!\[CDATA\[\s*SUCCESS\s*\]\]>|SUCCESS)\s*<\/return_code>/;

export const v2NotificationEncoder: NotificationEncoder = {
  retryDelays: WECHAT_RETRY_DELAYS,
  async body(subject) {
    const apiKey = subject.signer.secrets?.apiV2Key;
    if (!apiKey) throw new Error(`merchant ${subject.signer.mchid} has no API key to notify with`);
    return subject.kind === 'payment' ? paymentNotification(subject, apiKey) : refundNotification(subject, apiKey);
  },
  async headers() {
    return { 'content-type': 'text/xml; charset=utf-8' };
  },
  acknowledged: (status, body) => status === 200 && ACK.test(body),
};
