/**
 * The only home of state and timing rules. Every function is pure: (order, request, now, rules) → decision.
 * The evaluation order of each function follows cancellation-semantics.md §2 step by step.
 */
import type { CoreErrorCode } from './errors.ts';
import { isCodePayment, type Order, type OrderState } from './order.ts';
import type { LifecycleRules } from './rules.ts';
import type { OrderEvent } from './state-machine.ts';

export type Decision =
  | { readonly kind: 'refuse'; readonly error: CoreErrorCode }
  /** Success without a change (repeat reverse, repeat close where that succeeds). */
  | { readonly kind: 'unchanged' }
  /** Success with a change: the event to apply (the state table says where it leads); `refundAll` = the full paid amount goes back. */
  | { readonly kind: 'transition'; readonly event: OrderEvent; readonly refundAll: boolean };

const refuse = (error: CoreErrorCode): Decision => ({ kind: 'refuse', error });
const UNCHANGED: Decision = { kind: 'unchanged' };
const to = (event: OrderEvent, refundAll = false): Decision => ({ kind: 'transition', event, refundAll });

/** Age of the order on the business clock. For code payments creation is the pay call. */
export function ageOf(order: Order, now: number): number {
  return now - order.createdAt;
}

function tooEarly(order: Order, now: number, minAge: number, rules: LifecycleRules): boolean {
  return rules.strictTiming && ageOf(order, now) < minAge;
}

/** A transition that time alone causes: expiry of unpaid orders, the payer's answer to a password prompt. */
export interface TimedTransition {
  readonly event: OrderEvent;
  readonly at: number;
  readonly cause: 'expired' | 'payer_confirmed' | 'payer_timeout';
}

/** What time has done to the order by `now`, if anything (applied lazily before every operation and by the sweeper). */
export function timedTransition(order: Order, now: number): TimedTransition | null {
  const due = dueAt(order);
  if (due === null || now < due) return null;
  if (order.state === 'NOTPAY') return { event: 'expire', at: order.expiresAt, cause: 'expired' };
  if (payerConfirmsInTime(order)) return { event: 'confirm', at: due, cause: 'payer_confirmed' };
  return { event: 'fail', at: due, cause: 'payer_timeout' };
}

/** The simulated payer confirms before the password prompt times out (a confirmation at the deadline is too late). */
function payerConfirmsInTime(order: Pick<Order, 'payerConfirmAt' | 'payerDeadlineAt'>): boolean {
  return order.payerConfirmAt !== null && (order.payerDeadlineAt === null || order.payerConfirmAt < order.payerDeadlineAt);
}

/**
 * The first business time at which time alone changes the order (`timedTransition` is null before it and not
 * null from it on), or null when time never will. Stored with the order so the sweeper selects due orders by it.
 */
export function dueAt(order: Pick<Order, 'state' | 'expiresAt' | 'payerConfirmAt' | 'payerDeadlineAt'>): number | null {
  switch (order.state) {
    case 'NOTPAY':
      return order.expiresAt + 1; // expired once past expiresAt: time_expire itself is still payable
    case 'USERPAYING':
      return payerConfirmsInTime(order) ? order.payerConfirmAt : order.payerDeadlineAt;
    case 'SUCCESS':
    case 'REFUND':
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return null;
  }
}

/** Close (V2C, V3C, GC, HK close). */
export function decideClose(order: Order, now: number, rules: LifecycleRules): Decision {
  switch (order.state) {
    case 'SUCCESS':
    case 'REFUND':
      return refuse('ORDER_PAID');
    case 'CLOSED':
      return rules.closeOfClosed === 'succeed' ? UNCHANGED : refuse('ORDER_CLOSED');
    case 'REVOKED':
      return refuse('ORDER_REVOKED');
    case 'USERPAYING':
      return refuse('USER_PAYING');
    case 'NOTPAY':
    case 'PAYERROR':
      if (isCodePayment(order)) return refuse('USE_REVERSE');
      if (tooEarly(order, now, rules.closeMinAge, rules)) return refuse('TOO_EARLY');
      return to('close');
  }
}

/** Reverse / revoke (V2R, V3R, GR, HK reverse): close if unpaid, refund in full if paid by code. */
export function decideReverse(order: Order, now: number, rules: LifecycleRules): Decision {
  const state = order.state;
  if (state === 'REVOKED' || state === 'CLOSED') return UNCHANGED;
  if (state === 'REFUND') return refuse('USE_REFUND');
  if (state === 'SUCCESS' && !isCodePayment(order)) return refuse('USE_REFUND');
  if (ageOf(order, now) > rules.reverseMaxAge) return refuse('WINDOW_EXPIRED');
  if (tooEarly(order, now, rules.reverseMinAge, rules)) return refuse('TOO_EARLY');
  if (state === 'USERPAYING') return refuse('USER_PAYING');
  if (state === 'SUCCESS') return to('revoke', true);
  return to(isCodePayment(order) ? 'revoke' : 'close');
}

/** PayCloud void (order.revoker): close if unpaid, refund in full if paid by customer-presented code. */
export function decideVoid(order: Order, now: number, rules: LifecycleRules): Decision {
  const state = order.state;
  if (state === 'REVOKED' || state === 'CLOSED' || state === 'PAYERROR') return UNCHANGED;
  if (state === 'REFUND') return refuse('USE_REFUND');
  if (state === 'SUCCESS' && !isCodePayment(order)) return refuse('USE_REFUND');
  if (ageOf(order, now) > rules.voidMaxAge) return refuse('WINDOW_EXPIRED');
  if (tooEarly(order, now, rules.voidMinAge, rules)) return refuse('TOO_EARLY');
  if (state === 'USERPAYING') return refuse('USER_PAYING');
  return to('revoke', state === 'SUCCESS');
}

/** Why an order cannot take a payment (payer pays, or the same out_trade_no is submitted again). */
export function paymentRefusal(state: OrderState): CoreErrorCode | null {
  switch (state) {
    case 'NOTPAY':
      return null;
    case 'SUCCESS':
    case 'REFUND':
      return 'ORDER_PAID';
    case 'CLOSED':
      return 'ORDER_CLOSED';
    case 'REVOKED':
      return 'ORDER_REVOKED';
    case 'USERPAYING':
      return 'USER_PAYING';
    case 'PAYERROR':
      return 'PAYMENT_FAILED';
  }
}

/** The payer pays an unpaid order. */
export function decidePayment(order: Order): Decision {
  const refusal = paymentRefusal(order.state);
  return refusal ? refuse(refusal) : to('pay');
}

/** The payer answers a password prompt: confirm → SUCCESS, abandon → PAYERROR. */
export function decidePayerAnswer(order: Order, answer: 'confirm' | 'abandon'): Decision {
  if (order.state !== 'USERPAYING') return refuse(paymentRefusal(order.state) ?? 'ORDER_NOT_PAID');
  return to(answer === 'confirm' ? 'confirm' : 'fail');
}

export interface RefundRequest {
  readonly amount: number;
  readonly currency: string;
  /** The order total the merchant states, where the protocol asks for it. */
  readonly statedTotal: number | null;
}

/** A merchant refund (not the one a reverse or void performs). */
export function decideRefund(order: Order, request: RefundRequest, now: number, rules: LifecycleRules): Decision {
  switch (order.state) {
    case 'CLOSED':
      return refuse('ORDER_CLOSED');
    case 'REVOKED':
      return refuse('ORDER_REVOKED');
    case 'NOTPAY':
    case 'USERPAYING':
      return refuse('ORDER_NOT_PAID');
    case 'PAYERROR':
      return refuse('ORDER_PAY_FAILED');
    case 'SUCCESS':
    case 'REFUND':
      break;
  }
  if (request.currency !== order.currency) return refuse('CURRENCY_MISMATCH');
  if (request.statedTotal !== null && request.statedTotal !== order.amount) return refuse('AMOUNT_MISMATCH');
  if (order.paidAt !== null && now - order.paidAt > rules.refundWindow) return refuse('REFUND_WINDOW_EXPIRED');
  if (order.refundCount >= rules.maxRefunds) return refuse('REFUND_LIMIT_EXCEEDED');
  if (order.refundedAmount + request.amount > order.amount) return refuse('REFUND_AMOUNT_EXCEEDED');
  return to('refund');
}
