import { CoreError } from '../core/errors.ts';
import type { Order, Refund, RefundCause } from '../core/order.ts';
import type { Decision } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import { commit } from './commit.ts';
import type { OperationContext } from './context.ts';
import { withCurrentOrder, type LockedOrder } from './locked-order.ts';
import { withFaults } from './fault-plan.ts';

export interface CancellationResult {
  readonly order: Order;
  /** false: the order was already in the state the operation leads to (a repeat). */
  readonly changed: boolean;
  /** The full refund a reverse/void of a paid order performed. */
  readonly refund: Refund | null;
}

type Decide = (order: Order, now: number, locked: LockedOrder) => Decision;

/**
 * The shared shape of close, reverse and void: lock, catch up with time, decide by policy, then commit the
 * event with the full refund where the decision says so.
 */
export function cancelOrder(ctx: OperationContext, ref: OrderRef, cause: RefundCause | 'close', decide: Decide) {
  const outTradeNo = 'outTradeNo' in ref ? ref.outTradeNo : null;
  return withFaults(ctx, cause, outTradeNo, (ctx) =>
    withCurrentOrder(ctx, ref, async (tx, locked): Promise<CancellationResult> => {
      const { order, now } = locked;
      const decision = decide(order, now, locked);
      if (decision.kind === 'refuse') throw new CoreError(decision.error);
      if (decision.kind === 'unchanged') return { order, changed: false, refund: null };
      const refund = decision.refundAll && cause !== 'close' ? refundInFull(ctx, order, now, cause) : null;
      const next = await commit(tx, ctx, { order, event: decision.event, cause, at: now, refund });
      return { order: next, changed: true, refund };
    }),
  );
}

/** The refund a reverse or void performs: the whole unrefunded amount, settled at once, invisible to refund queries. */
function refundInFull(ctx: OperationContext, order: Order, now: number, cause: RefundCause): Refund {
  return {
    refundId: ctx.ids.refundId(now),
    orderId: order.id,
    mchid: order.mchid,
    outRefundNo: null,
    amount: order.amount - order.refundedAmount,
    currency: order.currency,
    status: 'SUCCESS',
    cause,
    reason: cause,
    notifyUrl: null,
    fingerprint: '',
    protocol: ctx.protocol,
    createdAt: now,
    settleAt: now,
    successAt: now,
  };
}
