import type { Order, Refund } from '../core/order.ts';
import type { OrderRef } from '../core/ports.ts';
import type { OperationContext } from './context.ts';
import { withCurrentOrder } from './locked-order.ts';
import { withFaults } from './fault-plan.ts';

export interface OrderRefunds {
  readonly order: Order;
  /** Merchant refunds only (those a reverse or void performed are not the merchant's), oldest first, settled. */
  readonly refunds: readonly Refund[];
}

/** The merchant refunds of one order (APIv2 refundquery by order, PayCloud refund lists). */
export function listOrderRefunds(ctx: OperationContext, ref: OrderRef): Promise<OrderRefunds> {
  return withFaults(ctx, 'refund_query', 'outTradeNo' in ref ? ref.outTradeNo : null, (ctx) =>
    withCurrentOrder(ctx, ref, async (tx, { order }) => ({
      order,
      refunds: (await tx.listRefunds(order.id)).filter((r) => r.cause === 'refund'),
    })),
  );
}
