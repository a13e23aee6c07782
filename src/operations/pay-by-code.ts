import { CoreError, type PaymentFailure } from '../core/errors.ts';
import { businessNow } from '../core/merchant.ts';
import type { Order } from '../core/order.ts';
import type { PayerScenario } from '../core/payer.ts';
import { rulesFor, type RuleSetName } from '../core/rules.ts';
import { historyEntry, moveOrder } from '../core/transition.ts';
import type { OperationContext } from './context.ts';
import { buildOrder, insertOrReplay, type NewOrder } from './create-order.ts';
import { merchantOrThrow } from './locked-order.ts';
import { queuePaymentNotification } from './notifications.ts';
import { withFaults } from './fault-plan.ts';

/** What the caller of a code payment is told. */
export type CodePaymentAnswer =
  | { readonly kind: 'paid' }
  | { readonly kind: 'user_paying' }
  | { readonly kind: 'failed'; readonly failure: PaymentFailure }
  /** SYSTEMERROR: the outcome is hidden from the caller (the order may or may not be paid). */
  | { readonly kind: 'unknown' };

export interface CodePayment {
  readonly order: Order;
  readonly answer: CodePaymentAnswer;
  readonly replayed: boolean;
}

function answerFor(order: Order): CodePaymentAnswer {
  switch (order.state) {
    case 'USERPAYING':
      return { kind: 'user_paying' };
    case 'PAYERROR':
      return order.failure === 'SYSTEM_ERROR' ? { kind: 'unknown' } : { kind: 'failed', failure: order.failure ?? 'PAYER_ABANDONED' };
    default:
      return { kind: 'paid' };
  }
}

/**
 * Code payment (micropay / codepay / bscanc): create the order and present the payer's code in one transaction.
 * A replay of the same request answers the order's current outcome; a paid or cancelled order refuses.
 */
export function payByCode(
  ctx: OperationContext,
  input: NewOrder,
  scenario: PayerScenario,
  ruleSet: RuleSetName,
): Promise<CodePayment> {
  return withFaults(ctx, 'pay', input.outTradeNo, (ctx) => ctx.store.transaction(async (tx) => {
    const merchant = await merchantOrThrow(tx, input.mchid);
    const now = businessNow(merchant, ctx.clock.now());
    const created = { ...buildOrder(ctx, input, now, ruleSet), transactionId: input.transactionId ?? ctx.ids.transactionId(now) };
    const existing = await insertOrReplay(tx, ctx, created);
    if (existing) {
      if (existing.state === 'NOTPAY') throw new CoreError('PAYMENT_FAILED', 'order is waiting for a payer');
      return { order: existing, answer: answerFor(existing), replayed: true };
    }
    const rules = rulesFor(ruleSet);
    const next = outcomeOf(created, scenario, now, rules.userPayingTimeout);
    await tx.updateOrder(next.order);
    await tx.appendHistory(historyEntry(next.order, 'NOTPAY', next.cause, { protocol: ctx.protocol, requestId: ctx.requestId, at: now }));
    if (next.order.state === 'SUCCESS') await queuePaymentNotification(tx, next.order, now);
    return { order: next.order, answer: next.answer, replayed: false };
  }));
}

function outcomeOf(order: Order, scenario: PayerScenario, now: number, timeout: number) {
  switch (scenario.kind) {
    case 'pay':
      return { order: moveOrder(order, 'SUCCESS', now), cause: 'paid_by_code', answer: { kind: 'paid' } as const };
    case 'password': {
      const confirmAt = scenario.confirmAfterMs === null ? null : now + scenario.confirmAfterMs;
      const waiting = moveOrder(order, 'USERPAYING', now, { payerConfirmAt: confirmAt, payerDeadlineAt: now + timeout });
      return { order: waiting, cause: 'password_required', answer: { kind: 'user_paying' } as const };
    }
    case 'fail':
      return {
        order: moveOrder(order, 'PAYERROR', now, { failure: scenario.failure }),
        cause: `payment_failed:${scenario.failure}`,
        answer: { kind: 'failed', failure: scenario.failure } as const,
      };
    case 'unknown':
      return scenario.paid
        ? { order: moveOrder(order, 'SUCCESS', now), cause: 'paid_by_code', answer: { kind: 'unknown' } as const }
        : { order: moveOrder(order, 'PAYERROR', now, { failure: 'SYSTEM_ERROR' }), cause: 'payment_failed:SYSTEM_ERROR', answer: { kind: 'unknown' } as const };
  }
}
