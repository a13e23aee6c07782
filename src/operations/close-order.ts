import { decideClose } from '../core/policy.ts';
import type { OrderRef } from '../core/ports.ts';
import type { RuleSetName } from '../core/rules.ts';
import { resolveRules } from '../core/merchant.ts';
import { cancelOrder } from './cancel.ts';
import type { OperationContext } from './context.ts';

/** Close an unpaid order (V2C, V3C, Global/HK close). The rule set decides e.g. whether a repeat close succeeds. */
export function closeOrder(ctx: OperationContext, ref: OrderRef, ruleSet: RuleSetName) {
  return cancelOrder(ctx, ref, 'close', (order, now, { merchant }) => decideClose(order, now, resolveRules(ruleSet, merchant)));
}
