import type { Order, Refund } from '../core/order.ts';
import type { StoreTx } from '../core/ports.ts';

/**
 * Queues the payment notification in the transaction that records the payment. Orders without a notify_url
 * (APIv3 codepay, APIv2 micropay) are never notified: the merchant learned the outcome synchronously.
 */
export async function queuePaymentNotification(tx: StoreTx, paid: Order, at: number): Promise<void> {
  if (!paid.notifyUrl) return;
  await tx.enqueueNotification({
    mchid: paid.mchid,
    orderId: paid.id,
    refundId: null,
    kind: 'payment',
    protocol: paid.protocol,
    url: paid.notifyUrl,
    dueAt: at,
  });
}

/**
 * Queues the refund notification, due when the refund settles (the worker settles it under the order lock before
 * encoding). Refunds a reverse or void performs are never notified.
 */
export async function queueRefundNotification(tx: StoreTx, order: Order, refund: Refund): Promise<void> {
  const url = refund.notifyUrl ?? order.notifyUrl;
  if (!url || refund.cause !== 'refund') return;
  await tx.enqueueNotification({
    mchid: order.mchid,
    orderId: order.id,
    refundId: refund.refundId,
    kind: 'refund',
    protocol: order.protocol,
    url,
    dueAt: refund.settleAt,
  });
}
