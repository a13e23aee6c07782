import { CoreError } from '../core/errors.ts';
import type { HistoryCause, Order, Protocol, Refund } from '../core/order.ts';
import { applyEvent, type OrderEvent, type OrderPatch } from '../core/state-machine.ts';
import type { StoreTx } from '../core/ports.ts';
import { historyEntry } from '../core/transition.ts';
import { queuePaymentNotification, queueRefundNotification } from './notifications.ts';

/** Who made a change: the request's dialect and id, or `system` for what time alone did. */
export interface Actor {
  readonly protocol: Protocol;
  readonly requestId: string | null;
}

export const SYSTEM: Actor = { protocol: 'system', requestId: null };

/** One state change of a locked order, as an operation decided it. */
export interface Change {
  /** The order as it is now (locked, caught up with time). */
  readonly order: Order;
  readonly event: OrderEvent;
  readonly cause: HistoryCause;
  /** Business time of the change. */
  readonly at: number;
  readonly patch?: OrderPatch;
  /** A refund the change makes (merchant refund, or the full refund of a reverse/void): it adds to the order's totals. */
  readonly refund?: Refund | null;
}

/**
 * The one write step of every state change, inside the caller's transaction (which holds the order's row lock):
 * the state table moves the order (an event not allowed from its state throws before anything is written), then
 * the refund, the order, one history row and the notification the change causes are written together (the order,
 * its history row and an unnumbered refund in one statement).
 */
export async function commit(tx: StoreTx, actor: Actor, change: Change): Promise<Order> {
  const { order, refund } = change;
  // The patch and the refund's totals merged into a fresh object (Object.assign, not a spread: on Node 20's V8 keys
  // added after a leading spread take a slow path, see scopeFields in the APIv3 adapter).
  const patch: OrderPatch = refund
    ? Object.assign({}, change.patch, { refundedAmount: order.refundedAmount + refund.amount, refundCount: order.refundCount + 1 })
    : (change.patch ?? {});
  const next = applyEvent(order, change.event, change.at, patch);
  // A merchant's refund is inserted first: its answer says whether its out_refund_no was free. A reverse's or
  // void's full refund has no number to collide on and travels with the order's writes.
  const numbered = refund !== null && refund !== undefined && refund.outRefundNo !== null;
  if (numbered && !(await tx.insertRefund(refund))) {
    throw new CoreError('IDEMPOTENCY_CONFLICT', 'out_refund_no was used with other parameters');
  }
  const history = historyEntry(next, order.state, change.event, change.cause, {
    protocol: actor.protocol,
    requestId: actor.requestId,
    at: change.at,
    refundId: refund?.refundId ?? null,
  });
  tx.recordChange(next, history, refund && !numbered ? refund : null);
  if (next.state === 'SUCCESS') await queuePaymentNotification(tx, next, change.at);
  if (refund) await queueRefundNotification(tx, next, refund);
  return next;
}
