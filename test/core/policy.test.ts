/**
 * The cancellation matrix of cancellation-semantics.md §3, cell by cell, as core decisions. The wire answer of
 * each decision is tested per dialect in the protocol tests.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OrderState, TradeType } from '../../src/core/order.ts';
import fc from 'fast-check';
import {
  ageOf,
  decideClose,
  decidePayerAnswer,
  decidePayment,
  decideRefund,
  decideReverse,
  decideVoid,
  dueAt,
  paymentRefusal,
  timedTransition,
  type Decision,
} from '../../src/core/policy.ts';
import { RULES, rulesFor, type LifecycleRules } from '../../src/core/rules.ts';
import { TRANSITIONS, type OrderEvent } from '../../src/core/state-machine.ts';
import { anOrder, DAY, MINUTE, SECOND, T0 } from '../helpers/orders.ts';

type Timing = 'too early' | 'within' | 'past';
type Expect = string; // 'refuse:CODE' | 'unchanged' | '→STATE' | '→STATE+refund'

/** The state an event leads to (close and revoke lead to one state from wherever they are allowed). */
function targetOf(event: OrderEvent): OrderState {
  const targets = new Set(
    Object.values(TRANSITIONS)
      .map((row) => row[event])
      .filter((s) => s !== undefined),
  );
  assert.equal(targets.size, 1, `${event} leads to one state`);
  return [...targets][0]!;
}

function show(d: Decision): Expect {
  if (d.kind === 'refuse') return `refuse:${d.error}`;
  if (d.kind === 'unchanged') return 'unchanged';
  return `→${targetOf(d.event)}${d.refundAll ? '+refund' : ''}`;
}

/** Business time at which an order created at T0 has the given timing for the operation's window. */
const at = {
  close: { 'too early': T0 + 5 * MINUTE - 1, within: T0 + 5 * MINUTE, past: T0 + 8 * DAY },
  reverse: { 'too early': T0 + 15 * SECOND - 1, within: T0 + 15 * SECOND, past: T0 + 7 * DAY + 1 },
  void: { 'too early': T0 + 15 * SECOND - 1, within: T0 + 15 * SECOND, past: T0 + DAY + 1 },
};

// [row, state, timing, tradeType, V2C, V3C, reverse (V2R/V3R/GR), PV]
const MATRIX: [number, OrderState, Timing, TradeType, Expect, Expect, Expect, Expect][] = [
  [1, 'NOTPAY', 'too early', 'NATIVE', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY'],
  [2, 'NOTPAY', 'within', 'NATIVE', '→CLOSED', '→CLOSED', '→CLOSED', '→REVOKED'],
  [2, 'NOTPAY', 'within', 'MICROPAY', 'refuse:USE_REVERSE', 'refuse:USE_REVERSE', '→REVOKED', '→REVOKED'],
  [4, 'USERPAYING', 'too early', 'MICROPAY', 'refuse:USER_PAYING', 'refuse:USER_PAYING', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY'],
  [5, 'USERPAYING', 'within', 'MICROPAY', 'refuse:USER_PAYING', 'refuse:USER_PAYING', 'refuse:USER_PAYING', 'refuse:USER_PAYING'],
  [7, 'SUCCESS', 'too early', 'MICROPAY', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY'],
  [7, 'SUCCESS', 'too early', 'NATIVE', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:USE_REFUND', 'refuse:USE_REFUND'],
  [8, 'SUCCESS', 'within', 'MICROPAY', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', '→REVOKED+refund', '→REVOKED+refund'],
  [8, 'SUCCESS', 'within', 'NATIVE', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:USE_REFUND', 'refuse:USE_REFUND'],
  [9, 'SUCCESS', 'past', 'MICROPAY', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:WINDOW_EXPIRED', 'refuse:WINDOW_EXPIRED'],
  [9, 'SUCCESS', 'past', 'NATIVE', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:USE_REFUND', 'refuse:USE_REFUND'],
  [10, 'REFUND', 'within', 'MICROPAY', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:USE_REFUND', 'refuse:USE_REFUND'],
  [10, 'REFUND', 'past', 'NATIVE', 'refuse:ORDER_PAID', 'refuse:ORDER_PAID', 'refuse:USE_REFUND', 'refuse:USE_REFUND'],
  [11, 'CLOSED', 'within', 'NATIVE', 'refuse:ORDER_CLOSED', 'unchanged', 'unchanged', 'unchanged'],
  [11, 'CLOSED', 'past', 'NATIVE', 'refuse:ORDER_CLOSED', 'unchanged', 'unchanged', 'unchanged'],
  [12, 'REVOKED', 'within', 'MICROPAY', 'refuse:ORDER_REVOKED', 'refuse:ORDER_REVOKED', 'unchanged', 'unchanged'],
  [13, 'PAYERROR', 'too early', 'NATIVE', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY', 'refuse:TOO_EARLY', 'unchanged'],
  [13, 'PAYERROR', 'too early', 'MICROPAY', 'refuse:USE_REVERSE', 'refuse:USE_REVERSE', 'refuse:TOO_EARLY', 'unchanged'],
  [14, 'PAYERROR', 'within', 'MICROPAY', 'refuse:USE_REVERSE', 'refuse:USE_REVERSE', '→REVOKED', 'unchanged'],
  [14, 'PAYERROR', 'within', 'NATIVE', '→CLOSED', '→CLOSED', '→CLOSED', 'unchanged'],
  [15, 'PAYERROR', 'past', 'MICROPAY', 'refuse:USE_REVERSE', 'refuse:USE_REVERSE', 'refuse:WINDOW_EXPIRED', 'unchanged'],
  [15, 'PAYERROR', 'past', 'NATIVE', '→CLOSED', '→CLOSED', 'refuse:WINDOW_EXPIRED', 'unchanged'],
];

describe('cancellation matrix (cancellation-semantics.md §3)', () => {
  for (const [row, state, timing, tradeType, v2c, v3c, reverse, pv] of MATRIX) {
    test(`row ${row}: ${state} ${tradeType} ${timing}`, () => {
      // A NOTPAY order is never "past" for close: it has expired by then; the lazy expiry is tested separately.
      const order = anOrder(state, tradeType, { expiresAt: Number.MAX_SAFE_INTEGER });
      assert.equal(show(decideClose(order, at.close[timing], RULES.wechatV2)), v2c, 'V2C');
      assert.equal(show(decideClose(order, at.close[timing], RULES.wechatV3)), v3c, 'V3C');
      assert.equal(show(decideReverse(order, at.reverse[timing], RULES.wechatV3)), reverse, 'reverse');
      assert.equal(show(decideVoid(order, at.void[timing], RULES.paycloud)), pv, 'PV');
    });
  }

  test('row 3: a NOTPAY order past its window for void (long expires) is refused as expired', () => {
    const order = anOrder('NOTPAY', 'NATIVE', { expiresAt: T0 + 30 * DAY });
    assert.equal(show(decideVoid(order, T0 + DAY + 1, RULES.paycloud)), 'refuse:WINDOW_EXPIRED');
  });

  test('boundaries are inclusive on the allowed side', () => {
    assert.equal(show(decideReverse(anOrder('SUCCESS', 'MICROPAY'), T0 + 7 * DAY, RULES.wechatV3)), '→REVOKED+refund');
    assert.equal(show(decideVoid(anOrder('NOTPAY'), T0 + DAY, RULES.paycloud)), '→REVOKED');
    assert.equal(show(decideClose(anOrder('NOTPAY'), T0 + 5 * MINUTE, RULES.wechatV2)), '→CLOSED');
  });

  test('strictTiming=false turns "too early" into the within-window outcome, expiry stays', () => {
    const lax = rulesFor('wechatV3', { strictTiming: false });
    assert.equal(show(decideClose(anOrder('NOTPAY'), T0 + SECOND, lax)), '→CLOSED');
    assert.equal(show(decideReverse(anOrder('SUCCESS', 'MICROPAY'), T0 + SECOND, lax)), '→REVOKED+refund');
    assert.equal(show(decideReverse(anOrder('SUCCESS', 'MICROPAY'), T0 + 8 * DAY, lax)), 'refuse:WINDOW_EXPIRED');
  });
});

describe('what time does to an order', () => {
  test('NOTPAY past expiry closes at its expiry time', () => {
    const order = anOrder('NOTPAY', 'NATIVE', { expiresAt: T0 + DAY });
    assert.equal(timedTransition(order, T0 + DAY), null);
    assert.deepEqual(timedTransition(order, T0 + DAY + 1), { event: 'expire', at: T0 + DAY, cause: 'expired' });
  });

  test('a payer who confirms before the prompt times out pays; otherwise PAYERROR at the deadline', () => {
    const confirming = anOrder('USERPAYING', 'MICROPAY', { payerConfirmAt: T0 + 10 * SECOND });
    assert.equal(timedTransition(confirming, T0 + 9 * SECOND), null);
    assert.deepEqual(timedTransition(confirming, T0 + 11 * SECOND), { event: 'confirm', at: T0 + 10 * SECOND, cause: 'payer_confirmed' });
    const silent = anOrder('USERPAYING', 'MICROPAY');
    assert.equal(timedTransition(silent, T0 + 29 * SECOND), null);
    assert.deepEqual(timedTransition(silent, T0 + 31 * SECOND), { event: 'fail', at: T0 + 30 * SECOND, cause: 'payer_timeout' });
  });
});

describe('merchant refunds', () => {
  const rules: LifecycleRules = RULES.wechatV3;
  const paidAt = T0 + MINUTE;
  const paid = (patch = {}) => anOrder('SUCCESS', 'NATIVE', { paidAt, ...patch });
  const ask = (amount: number, patch: { currency?: string; statedTotal?: number | null } = {}) => ({
    amount,
    currency: patch.currency ?? 'CNY',
    statedTotal: patch.statedTotal ?? null,
  });
  const decide = (order: ReturnType<typeof anOrder>, amount: number, now = paidAt + DAY, patch = {}, r: LifecycleRules = rules) =>
    show(decideRefund(order, ask(amount, patch), now, r));

  test('only a paid order is refundable: each other state names its reason', () => {
    assert.equal(decide(anOrder('CLOSED'), 1), 'refuse:ORDER_CLOSED');
    assert.equal(decide(anOrder('REVOKED'), 1), 'refuse:ORDER_REVOKED');
    assert.equal(decide(anOrder('NOTPAY'), 1), 'refuse:ORDER_NOT_PAID');
    assert.equal(decide(anOrder('USERPAYING', 'MICROPAY'), 1), 'refuse:ORDER_NOT_PAID');
    assert.equal(decide(anOrder('PAYERROR', 'MICROPAY'), 1), 'refuse:ORDER_PAY_FAILED');
    assert.equal(decide(paid(), 1), '→REFUND');
    assert.equal(decide(anOrder('REFUND', 'NATIVE', { paidAt }), 1), '→REFUND');
    assert.deepEqual(decideRefund(paid(), ask(1), paidAt, rules), { kind: 'transition', event: 'refund', refundAll: false }, 'a part, not the full amount');
  });

  test('currency and stated total must match the order', () => {
    assert.equal(decide(paid(), 1, paidAt, { currency: 'HKD' }), 'refuse:CURRENCY_MISMATCH');
    assert.equal(decide(paid(), 1, paidAt, { statedTotal: 999 }), 'refuse:AMOUNT_MISMATCH');
    assert.equal(decide(paid(), 1, paidAt, { statedTotal: 1000 }), '→REFUND');
  });

  test('the refund window ends exactly refundWindow after payment', () => {
    assert.equal(decide(paid(), 1, paidAt + rules.refundWindow), '→REFUND');
    assert.equal(decide(paid(), 1, paidAt + rules.refundWindow + 1), 'refuse:REFUND_WINDOW_EXPIRED');
    assert.equal(decide(paid({ paidAt: null }), 1, paidAt + 10 * rules.refundWindow), '→REFUND', 'no payment time, no window');
  });

  test('at most maxRefunds refunds per order (50 WeChat, 10 PayCloud)', () => {
    assert.equal(decide(paid({ refundCount: 49, refundedAmount: 49 }), 1), '→REFUND');
    assert.equal(decide(paid({ refundCount: 50, refundedAmount: 50 }), 1), 'refuse:REFUND_LIMIT_EXCEEDED');
    assert.equal(decide(paid({ refundCount: 9, refundedAmount: 9 }), 1, paidAt, {}, RULES.paycloud), '→REFUND');
    assert.equal(decide(paid({ refundCount: 10, refundedAmount: 10 }), 1, paidAt, {}, RULES.paycloud), 'refuse:REFUND_LIMIT_EXCEEDED');
  });

  test('the refunds together never exceed the order total', () => {
    assert.equal(decide(paid({ refundedAmount: 400, refundCount: 1 }), 600), '→REFUND');
    assert.equal(decide(paid({ refundedAmount: 400, refundCount: 1 }), 601), 'refuse:REFUND_AMOUNT_EXCEEDED');
    assert.equal(decide(paid(), 1000), '→REFUND');
    assert.equal(decide(paid(), 1001), 'refuse:REFUND_AMOUNT_EXCEEDED');
  });

  test('refusals are checked in order: window before limit before amount', () => {
    const late = paidAt + rules.refundWindow + 1;
    assert.equal(decide(paid({ refundCount: 50 }), 5000, late), 'refuse:REFUND_WINDOW_EXPIRED');
    assert.equal(decide(paid({ refundCount: 50 }), 5000), 'refuse:REFUND_LIMIT_EXCEEDED');
    assert.equal(decide(paid(), 5000, late, { currency: 'HKD', statedTotal: 1 }), 'refuse:CURRENCY_MISMATCH');
    assert.equal(decide(paid(), 5000, late, { statedTotal: 1 }), 'refuse:AMOUNT_MISMATCH');
  });
});

describe('payments and the payer', () => {
  test('only NOTPAY takes a payment; every other state names its refusal', () => {
    const expected: Record<OrderState, string> = {
      NOTPAY: '→SUCCESS',
      SUCCESS: 'refuse:ORDER_PAID',
      REFUND: 'refuse:ORDER_PAID',
      CLOSED: 'refuse:ORDER_CLOSED',
      REVOKED: 'refuse:ORDER_REVOKED',
      USERPAYING: 'refuse:USER_PAYING',
      PAYERROR: 'refuse:PAYMENT_FAILED',
    };
    for (const [state, want] of Object.entries(expected) as [OrderState, string][]) {
      assert.equal(show(decidePayment(anOrder(state))), want, state);
      assert.equal(paymentRefusal(state), want === '→SUCCESS' ? null : want.slice('refuse:'.length));
    }
  });

  test('a password prompt is answered only while USERPAYING', () => {
    assert.equal(show(decidePayerAnswer(anOrder('USERPAYING', 'MICROPAY'), 'confirm')), '→SUCCESS');
    assert.equal(show(decidePayerAnswer(anOrder('USERPAYING', 'MICROPAY'), 'abandon')), '→PAYERROR');
    assert.equal(show(decidePayerAnswer(anOrder('SUCCESS', 'MICROPAY'), 'confirm')), 'refuse:ORDER_PAID');
    assert.equal(show(decidePayerAnswer(anOrder('PAYERROR', 'MICROPAY'), 'abandon')), 'refuse:PAYMENT_FAILED');
    assert.equal(show(decidePayerAnswer(anOrder('NOTPAY', 'MICROPAY'), 'confirm')), 'refuse:ORDER_NOT_PAID');
  });

  test('age is business time since creation', () => {
    assert.equal(ageOf(anOrder('NOTPAY'), T0 + 5 * SECOND), 5 * SECOND);
  });
});

describe('when time is due', () => {
  test('NOTPAY: one ms past expiry; the sweeper and the lazy path agree at the boundary', () => {
    const order = anOrder('NOTPAY', 'NATIVE', { expiresAt: T0 + DAY });
    assert.equal(dueAt(order), T0 + DAY + 1);
  });

  test('USERPAYING: the confirmation if it comes before the deadline, else the deadline; none without either', () => {
    const base = anOrder('USERPAYING', 'MICROPAY');
    assert.equal(dueAt({ ...base, payerConfirmAt: T0 + 10 * SECOND }), T0 + 10 * SECOND);
    assert.equal(dueAt({ ...base, payerConfirmAt: T0 + 30 * SECOND }), T0 + 30 * SECOND);
    assert.deepEqual(
      timedTransition({ ...base, payerConfirmAt: T0 + 30 * SECOND }, T0 + 30 * SECOND),
      { event: 'fail', at: T0 + 30 * SECOND, cause: 'payer_timeout' },
      'a confirmation at the deadline is too late',
    );
    assert.equal(dueAt({ ...base, payerConfirmAt: T0 + 40 * SECOND }), T0 + 30 * SECOND);
    assert.equal(dueAt({ ...base, payerConfirmAt: T0 + 40 * SECOND, payerDeadlineAt: null }), T0 + 40 * SECOND);
    assert.deepEqual(timedTransition({ ...base, payerConfirmAt: T0 + 40 * SECOND, payerDeadlineAt: null }, T0 + 40 * SECOND), {
      event: 'confirm',
      at: T0 + 40 * SECOND,
      cause: 'payer_confirmed',
    });
    assert.equal(dueAt({ ...base, payerDeadlineAt: null }), null);
    assert.equal(timedTransition({ ...base, payerDeadlineAt: null }, T0 + 365 * DAY), null);
  });

  test('settled states are never due', () => {
    for (const state of ['SUCCESS', 'REFUND', 'CLOSED', 'REVOKED', 'PAYERROR'] as const) {
      assert.equal(dueAt(anOrder(state, 'MICROPAY', { payerConfirmAt: T0, payerDeadlineAt: T0 })), null, state);
      assert.equal(timedTransition(anOrder(state, 'MICROPAY', { payerConfirmAt: T0, payerDeadlineAt: T0 }), T0 + 365 * DAY), null, state);
    }
  });

  test('property: timedTransition is null before dueAt and not null from it on', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<OrderState>('NOTPAY', 'USERPAYING', 'SUCCESS', 'PAYERROR'),
        fc.option(fc.integer({ min: 0, max: DAY }), { nil: null }),
        fc.option(fc.integer({ min: 0, max: DAY }), { nil: null }),
        fc.integer({ min: 0, max: DAY }),
        fc.integer({ min: -DAY, max: 2 * DAY }),
        (state, confirm, deadline, expires, offset) => {
          const order = anOrder(state, 'MICROPAY', {
            expiresAt: T0 + expires,
            payerConfirmAt: confirm === null ? null : T0 + confirm,
            payerDeadlineAt: deadline === null ? null : T0 + deadline,
          });
          const due = dueAt(order);
          const now = T0 + offset;
          assert.equal(timedTransition(order, now) !== null, due !== null && now >= due);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
