/**
 * APIv3 notifications (spec §11): an envelope whose `resource` is the order or refund, encrypted
 * AEAD_AES_256_GCM with the APIv3 key of the merchant that signs (the provider for a sub-merchant), and
 * `Wechatpay-*` headers signed per attempt with the wall clock.
 */
import { randomBytes } from 'node:crypto';
import type { Refund } from '../../core/order.ts';
import { aesGcmEncrypt, randomAlnum } from '../../lib/crypto.ts';
import { rfc3339Cst } from '../../lib/time.ts';
import { refundOf, WECHAT_RETRY_DELAYS, type NotificationEncoder, type NotificationSubject } from '../../notify/encoder.ts';
import { scopeFields, scopeOfOrder } from './merchant-scope.ts';
import { platformKeyFor, signatureHeaders } from './response-signing.ts';
import { globalOrderView, orderView } from './views.ts';

const REFUND_EVENT: Record<Refund['status'], [string, string]> = {
  SUCCESS: ['REFUND.SUCCESS', '退款成功'],
  CLOSED: ['REFUND.CLOSED', '退款关闭'],
  ABNORMAL: ['REFUND.ABNORMAL', '退款异常'],
  PROCESSING: ['REFUND.ABNORMAL', '退款异常'], // not reached: the worker settles the refund first
};

function resourceOf(subject: NotificationSubject, global: boolean): { event: [string, string]; type: string; plaintext: unknown } {
  const { order, merchant, signer } = subject;
  const scope = scopeOfOrder(order, merchant, signer === merchant ? null : signer);
  if (subject.kind === 'payment') {
    const view = global ? globalOrderView(order, scope, merchant.settings.exchangeRate) : orderView(order, scope);
    return { event: ['TRANSACTION.SUCCESS', '支付成功'], type: 'transaction', plaintext: view };
  }
  const r = refundOf(subject);
  const fields = scopeFields(scope);
  return {
    event: REFUND_EVENT[r.status],
    type: 'refund',
    plaintext: {
      ...(scope.kind === 'direct' ? { mchid: fields.mchid } : { sp_mchid: fields.sp_mchid, sub_mchid: fields.sub_mchid }),
      out_trade_no: order.outTradeNo,
      transaction_id: order.transactionId,
      out_refund_no: r.outRefundNo,
      refund_id: r.refundId,
      refund_status: r.status,
      ...(r.successAt !== null ? { success_time: rfc3339Cst(r.successAt) } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: order.amount, refund: r.amount, payer_total: order.amount, payer_refund: r.amount },
    },
  };
}

function v3Encoder(global: boolean): NotificationEncoder {
  return {
    retryDelays: WECHAT_RETRY_DELAYS,
    async body(subject, wallNow) {
      const secrets = subject.signer.secrets;
      if (!secrets) throw new Error(`merchant ${subject.signer.mchid} has no keys to notify with`);
      const { event, type, plaintext } = resourceOf(subject, global);
      const nonce = randomAlnum(12);
      return JSON.stringify({
        id: `EV-${randomBytes(10).toString('hex').toUpperCase()}`,
        create_time: rfc3339Cst(wallNow),
        resource_type: 'encrypt-resource',
        event_type: event[0],
        summary: event[1],
        resource: {
          original_type: type,
          algorithm: 'AEAD_AES_256_GCM',
          ciphertext: aesGcmEncrypt(JSON.stringify(plaintext), secrets.apiV3Key, nonce, type),
          associated_data: type,
          nonce,
        },
      });
    },
    async headers(body, subject, wallNow) {
      const signer = subject.signer;
      if (!signer.secrets) throw new Error(`merchant ${signer.mchid} has no keys to notify with`);
      const key = platformKeyFor(signer.secrets, signer.settings, undefined);
      return {
        'content-type': 'application/json',
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
        ...(await signatureHeaders(body, key, wallNow)),
      };
    },
    acknowledged: (status) => status === 200 || status === 204,
  };
}

export const v3NotificationEncoder = v3Encoder(false);
export const globalNotificationEncoder = v3Encoder(true);
