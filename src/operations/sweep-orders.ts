import type { DueOrderSource } from '../core/ports.ts';
import type { OperationContext } from './context.ts';
import { lockCurrentOrder } from './locked-order.ts';

/**
 * The background sweeper's one pass: records what time has done to each due order (the same code path every
 * operation runs lazily), one transaction per order. Returns how many orders it visited.
 */
export async function sweepOrders(ctx: OperationContext, source: DueOrderSource, limit = 200): Promise<number> {
  const due = await source.dueOrders(ctx.clock.now(), limit);
  for (const ref of due) {
    await ctx.store.transaction((tx) => lockCurrentOrder(tx, ctx, ref)).catch(() => undefined);
  }
  return due.length;
}
