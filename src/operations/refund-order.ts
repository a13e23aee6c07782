import { CoreError } from '../core/errors.ts';
import { resolveRules } from '../core/merchant.ts';
import type { Order, Refund } from '../core/order.ts';
import { decideRefund } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import type { RuleSetName } from '../core/rules.ts';
import { settledRefund } from '../core/transition.ts';
import { commit } from './commit.ts';
import type { OperationContext } from './context.ts';
import { withCurrentOrder } from './locked-order.ts';
import { withFaults } from './fault-plan.ts';

export interface RefundCommand {
  readonly order: OrderRef;
  readonly outRefundNo: string;
  readonly amount: number;
  readonly currency: string;
  /** The order total as the merchant states it (must equal the order's), where the protocol sends it. */
  readonly statedTotal: number | null;
  readonly reason: string | null;
  readonly notifyUrl: string | null;
  /** Hash of the request's business parameters: the same out_refund_no with others is a conflict. */
  readonly fingerprint: string;
}

export interface RefundResult {
  readonly order: Order;
  readonly refund: Refund;
  readonly replayed: boolean;
}

/**
 * A merchant refund: lock the order, replay an earlier refund with the same out_refund_no, else decide by
 * policy and commit the refund (PROCESSING) with the order's new totals, history and notification.
 */
export function refundOrder(ctx: OperationContext, cmd: RefundCommand, ruleSet: RuleSetName): Promise<RefundResult> {
  const outTradeNo = 'outTradeNo' in cmd.order ? cmd.order.outTradeNo : null;
  return withFaults(ctx, 'refund', outTradeNo, (ctx) =>
    withCurrentOrder(ctx, cmd.order, async (tx, { merchant, order, now }) => {
      const earlier = await tx.findRefund(order.mchid, { outRefundNo: cmd.outRefundNo });
      if (earlier) {
        if (earlier.orderId !== order.id || earlier.fingerprint !== cmd.fingerprint) {
          throw new CoreError('IDEMPOTENCY_CONFLICT', 'out_refund_no was used with other parameters');
        }
        return { order, refund: settledRefund(earlier, now) ?? earlier, replayed: true };
      }
      const rules = resolveRules(ruleSet, merchant);
      const decision = decideRefund(order, { amount: cmd.amount, currency: cmd.currency, statedTotal: cmd.statedTotal }, now, rules);
      if (decision.kind !== 'transition') throw new CoreError(decision.kind === 'refuse' ? decision.error : 'SYSTEM_ERROR');
      const refund: Refund = {
        refundId: ctx.ids.refundId(now),
        orderId: order.id,
        mchid: order.mchid,
        outRefundNo: cmd.outRefundNo,
        amount: cmd.amount,
        currency: cmd.currency,
        status: 'PROCESSING',
        cause: 'refund',
        reason: cmd.reason,
        notifyUrl: cmd.notifyUrl,
        fingerprint: cmd.fingerprint,
        protocol: ctx.protocol,
        createdAt: now,
        settleAt: now + rules.refundSettleDelay,
        successAt: null,
      };
      const next = await commit(tx, ctx, { order, event: decision.event, cause: 'refund', at: now, refund });
      return { order: next, refund, replayed: false };
    }),
  );
}
