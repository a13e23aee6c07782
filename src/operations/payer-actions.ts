import { CoreError } from '../core/errors.ts';
import type { Order } from '../core/order.ts';
import { decidePayerAnswer, decidePayment } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import { commit } from './commit.ts';
import type { OperationContext } from './context.ts';
import { withCurrentOrder } from './locked-order.ts';

/**
 * The payer's side of an order (driven by the sandbox): pay an unpaid order, or answer a password prompt.
 * A payment notification is queued in the same transaction when the order has a notify_url.
 */
export function payOrder(ctx: OperationContext, ref: OrderRef): Promise<Order> {
  return withCurrentOrder(ctx, ref, async (tx, { order, now }) => {
    const decision = decidePayment(order);
    if (decision.kind !== 'transition') throw new CoreError(decision.kind === 'refuse' ? decision.error : 'ORDER_PAID');
    return commit(tx, ctx, {
      order,
      event: decision.event,
      cause: 'payer_paid',
      at: now,
      patch: { transactionId: order.transactionId ?? ctx.ids.transactionId(now) },
    });
  });
}

/** The payer confirms (enters the password) or abandons a USERPAYING code payment. */
export function answerPasswordPrompt(ctx: OperationContext, ref: OrderRef, answer: 'confirm' | 'abandon'): Promise<Order> {
  return withCurrentOrder(ctx, ref, async (tx, { order, now }) => {
    const decision = decidePayerAnswer(order, answer);
    if (decision.kind !== 'transition') throw new CoreError(decision.kind === 'refuse' ? decision.error : 'ORDER_PAID');
    return commit(tx, ctx, {
      order,
      event: decision.event,
      at: now,
      cause: answer === 'confirm' ? 'payer_confirmed' : 'payer_abandoned',
      patch: answer === 'abandon' ? { failure: 'PAYER_ABANDONED' } : {},
    });
  });
}
