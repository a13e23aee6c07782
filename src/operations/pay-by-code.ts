import { CoreError, type PaymentFailure } from '../core/errors.ts';
import { businessNow, resolveRules } from '../core/merchant.ts';
import type { HistoryCause, Order } from '../core/order.ts';
import type { PayerScenario } from '../core/payer.ts';
import type { RuleSetName } from '../core/rules.ts';
import type { OrderEvent, OrderPatch } from '../core/state-machine.ts';
import { commit } from './commit.ts';
import type { OperationContext } from './context.ts';
import { buildOrder, insertOrReplay, type NewOrder } from './create-order.ts';
import { merchantOrThrow } from './locked-order.ts';
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
export function payByCode(ctx: OperationContext, input: NewOrder, scenario: PayerScenario, ruleSet: RuleSetName): Promise<CodePayment> {
  return withFaults(ctx, 'pay', input.outTradeNo, (ctx) =>
    ctx.store.transaction(async (tx) => {
      const merchant = await merchantOrThrow(tx, input.mchid);
      const now = businessNow(merchant, ctx.clock.now());
      const rules = resolveRules(ruleSet, merchant);
      const created = { ...buildOrder(ctx, input, now, rules, merchant), transactionId: input.transactionId ?? ctx.ids.transactionId(now) };
      const existing = await insertOrReplay(tx, ctx, created);
      if (existing) {
        if (existing.state === 'NOTPAY') throw new CoreError('PAYMENT_FAILED', 'order is waiting for a payer');
        return { order: existing, answer: answerFor(existing), replayed: true };
      }
      const outcome = outcomeOf(scenario, now, rules.userPayingTimeout);
      const order = await commit(tx, ctx, { order: created, event: outcome.event, cause: outcome.cause, at: now, patch: outcome.patch });
      return { order, answer: outcome.answer, replayed: false };
    }),
  );
}

interface Outcome {
  readonly event: OrderEvent;
  readonly cause: HistoryCause;
  readonly patch: OrderPatch;
  readonly answer: CodePaymentAnswer;
}

function outcomeOf(scenario: PayerScenario, now: number, timeout: number): Outcome {
  switch (scenario.kind) {
    case 'pay':
      return { event: 'pay', cause: 'paid_by_code', patch: {}, answer: { kind: 'paid' } };
    case 'password': {
      const confirmAt = scenario.confirmAfterMs === null ? null : now + scenario.confirmAfterMs;
      return {
        event: 'await_payer',
        cause: 'password_required',
        patch: { payerConfirmAt: confirmAt, payerDeadlineAt: now + timeout },
        answer: { kind: 'user_paying' },
      };
    }
    case 'fail':
      return {
        event: 'fail',
        cause: `payment_failed:${scenario.failure}`,
        patch: { failure: scenario.failure },
        answer: { kind: 'failed', failure: scenario.failure },
      };
    case 'unknown':
      return scenario.paid
        ? { event: 'pay', cause: 'paid_by_code', patch: {}, answer: { kind: 'unknown' } }
        : { event: 'fail', cause: 'payment_failed:SYSTEM_ERROR', patch: { failure: 'SYSTEM_ERROR' }, answer: { kind: 'unknown' } };
  }
}
