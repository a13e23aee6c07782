import { businessNow } from '../core/merchant.ts';
import type { Order } from '../core/order.ts';
import { timedTransition } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import type { OperationContext } from './context.ts';
import { lockCurrentOrder, merchantOrderOrThrow } from './locked-order.ts';
import { withFaults } from './fault-plan.ts';

/**
 * The order as it is now. Reads without a lock; only when time has changed the order (expiry, the payer's
 * answer) does it take the lock and record that change first.
 */
export function queryOrder(ctx: OperationContext, ref: OrderRef): Promise<Order> {
  return withFaults(ctx, 'query', 'outTradeNo' in ref ? ref.outTradeNo : null, (ctx) => currentOrder(ctx, ref));
}

async function currentOrder(ctx: OperationContext, ref: OrderRef): Promise<Order> {
  const stale = await ctx.store.read(async (tx) => {
    const { merchant, order } = await merchantOrderOrThrow(tx, ref);
    return timedTransition(order, businessNow(merchant, ctx.clock.now())) ? null : order;
  });
  if (stale) return stale;
  return ctx.store.transaction(async (tx) => (await lockCurrentOrder(tx, ctx, ref)).order);
}
