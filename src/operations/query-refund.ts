import { CoreError } from '../core/errors.ts';
import type { Order, Refund } from '../core/order.ts';
import type { OperationContext } from './context.ts';
import { lockCurrentOrder } from './locked-order.ts';
import { withFaults } from './fault-plan.ts';

export interface RefundView {
  readonly refund: Refund;
  readonly order: Order;
}

/**
 * A merchant refund by its out_refund_no or refund id, settled if its time has come. Refunds performed by a
 * reverse or void are not merchant refunds and are never found here.
 */
export function queryRefund(ctx: OperationContext, mchid: string, ref: { outRefundNo: string } | { refundId: string }): Promise<RefundView> {
  return withFaults(ctx, 'refund_query', null, (ctx) =>
    ctx.store.transaction(async (tx) => {
      const found = await tx.findRefund(mchid, ref);
      if (found?.cause !== 'refund') throw new CoreError('REFUND_NOT_FOUND', 'refund does not exist');
      const orderId = found.orderId;
      const { order } = await lockCurrentOrder(tx, ctx, { mchid, orderId });
      const refund = (await tx.listRefunds(orderId)).find((r) => r.refundId === found.refundId) ?? found;
      return { refund, order };
    }),
  );
}
