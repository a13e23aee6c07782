import { resolveRules } from '../core/merchant.ts';
import { decideVoid } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import { cancelOrder } from './cancel.ts';
import type { OperationContext } from './context.ts';

/** PayCloud void (order.revoker): cancel an unpaid order, or refund a customer-presented-code payment in full. */
export function voidOrder(ctx: OperationContext, ref: OrderRef) {
  return cancelOrder(ctx, ref, 'void', (order, now, { merchant }) => decideVoid(order, now, resolveRules('paycloud', merchant)));
}
