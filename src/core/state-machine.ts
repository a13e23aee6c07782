/**
 * The order state machine as data: (state, event) → state, as Kill Bill's PaymentStates.xml or Hyperswitch's
 * allowed-status lists write it. Policy decides *whether* an event may happen now (time windows, limits, trade
 * type); this table decides *where it leads*, and nothing moves an order along a pair that is not listed here.
 */
import type { Order, OrderEvent, OrderState } from './order.ts';

export type { OrderEvent };

export const ORDER_EVENTS: readonly OrderEvent[] = ['pay', 'await_payer', 'confirm', 'fail', 'expire', 'close', 'revoke', 'refund'];
export const ORDER_STATES: readonly OrderState[] = ['NOTPAY', 'USERPAYING', 'SUCCESS', 'REFUND', 'CLOSED', 'REVOKED', 'PAYERROR'];

/** Every allowed transition. CLOSED and REVOKED are final. */
export const TRANSITIONS: Readonly<Record<OrderState, Readonly<Partial<Record<OrderEvent, OrderState>>>>> = {
  NOTPAY: { pay: 'SUCCESS', await_payer: 'USERPAYING', fail: 'PAYERROR', expire: 'CLOSED', close: 'CLOSED', revoke: 'REVOKED' },
  USERPAYING: { confirm: 'SUCCESS', fail: 'PAYERROR' },
  SUCCESS: { revoke: 'REVOKED', refund: 'REFUND' },
  REFUND: { refund: 'REFUND' },
  PAYERROR: { close: 'CLOSED', revoke: 'REVOKED' },
  CLOSED: {},
  REVOKED: {},
};

/** Where `event` leads from `state`, or null when the table has no such transition. */
export function nextState(state: OrderState, event: OrderEvent): OrderState | null {
  return TRANSITIONS[state][event] ?? null;
}

/** A transition the table does not allow: a policy bug, never a business answer. Nothing is written. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: OrderState,
    readonly event: OrderEvent,
  ) {
    super(`no transition from ${from} on ${event}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Order facts an event may set besides the state (payment facts, failure, the payer's timers, refund totals). */
export const PATCH_FIELDS = [
  'transactionId',
  'failure',
  'payerConfirmAt',
  'payerDeadlineAt',
  'refundedAmount',
  'refundCount',
] as const satisfies readonly (keyof Order)[];
export type OrderPatch = Partial<Pick<Order, (typeof PATCH_FIELDS)[number]>>;
/**
 * Every order fact an event changes: `applyEvent`'s order differs from the one it was given in these alone (the
 * rest was fixed when the order was made), so a state change writes these and nothing else.
 */
export const EVENT_FIELDS = ['state', 'paidAt', ...PATCH_FIELDS] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

/**
 * The order after `event` at business time `at`; throws IllegalTransitionError for a pair not in the table.
 * Payment facts are set once and never cleared; the payer's timers live only while USERPAYING.
 */
export function applyEvent(order: Order, event: OrderEvent, at: number, patch: OrderPatch = {}): Order {
  const to = nextState(order.state, event);
  if (to === null) throw new IllegalTransitionError(order.state, event);
  return {
    ...order,
    state: to,
    paidAt: to === 'SUCCESS' && order.paidAt === null ? at : order.paidAt,
    payerConfirmAt: null,
    payerDeadlineAt: null,
    ...patch,
  };
}
