import { CoreError } from '../core/errors.ts';
import type { Order } from '../core/order.ts';
import { decidePayerAnswer, decidePayment } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import { historyEntry, moveOrder } from '../core/transition.ts';
import type { OperationContext } from './context.ts';
import { withCurrentOrder } from './locked-order.ts';
import { queuePaymentNotification } from './notifications.ts';

/**
 * The payer's side of an order (driven by the sandbox): pay an unpaid order, or answer a password prompt.
 * A payment notification is queued in the same transaction when the order has a notify_url.
 */
export function payOrder(ctx: OperationContext, ref: OrderRef): Promise<Order> {
  return withCurrentOrder(ctx, ref, async (tx, { order, now }) => {
    const decision = decidePayment(order);
    if (decision.kind !== 'transition') throw new CoreError(decision.kind === 'refuse' ? decision.error : 'ORDER_PAID');
    const next = moveOrder(order, 'SUCCESS', now, { transactionId: order.transactionId ?? ctx.ids.transactionId(now) });
    await tx.updateOrder(next);
    await tx.appendHistory(historyEntry(next, order.state, 'payer_paid', { protocol: ctx.protocol, requestId: ctx.requestId, at: now }));
    await queuePaymentNotification(tx, next, now);
    return next;
  });
}

/** The payer confirms (enters the password) or abandons a USERPAYING code payment. */
export function answerPasswordPrompt(ctx: OperationContext, ref: OrderRef, answer: 'confirm' | 'abandon'): Promise<Order> {
  return withCurrentOrder(ctx, ref, async (tx, { order, now }) => {
    const decision = decidePayerAnswer(order, answer);
    if (decision.kind !== 'transition') throw new CoreError(decision.kind === 'refuse' ? decision.error : 'ORDER_PAID');
    const next = moveOrder(order, decision.to, now, answer === 'abandon' ? { failure: 'PAYER_ABANDONED' } : {});
    await tx.updateOrder(next);
    if (next.state === 'SUCCESS') await queuePaymentNotification(tx, next, now);
    await tx.appendHistory(historyEntry(next, order.state, answer === 'confirm' ? 'payer_confirmed' : 'payer_abandoned', {
      protocol: ctx.protocol, requestId: ctx.requestId, at: now,
    }));
    return next;
  });
}
