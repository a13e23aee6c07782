import { resolveRules } from '../core/merchant.ts';
import { decideReverse } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import type { RuleSetName } from '../core/rules.ts';
import { cancelOrder } from './cancel.ts';
import type { OperationContext } from './context.ts';

/** Reverse (revoke) an order: close it if unpaid, refund it in full if paid by code. Repeats succeed unchanged. */
export function reverseOrder(ctx: OperationContext, ref: OrderRef, ruleSet: RuleSetName) {
  return cancelOrder(ctx, ref, 'reverse', (order, now, { merchant }) => decideReverse(order, now, resolveRules(ruleSet, merchant)));
}
