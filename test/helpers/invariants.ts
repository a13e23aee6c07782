/** The invariants of design.md, checked against the store: usable after any concurrent or crash test. */
import type { HistoryEntry, Order, OrderState, Refund } from '../../src/core/order.ts';

/** Every edge the state machine allows (design.md "State machine"). */
const ALLOWED: Record<OrderState, OrderState[]> = {
  NOTPAY: ['SUCCESS', 'USERPAYING', 'CLOSED', 'REVOKED', 'PAYERROR'],
  USERPAYING: ['SUCCESS', 'PAYERROR'],
  SUCCESS: ['REFUND', 'REVOKED'],
  REFUND: ['REFUND'],
  CLOSED: [],
  REVOKED: [],
  PAYERROR: ['CLOSED', 'REVOKED'],
};

/** Returns the violations found (empty = all invariants hold). */
export function orderViolations(order: Order, refunds: Refund[], history: HistoryEntry[]): string[] {
  const v: string[] = [];
  const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
  if (refunded !== order.refundedAmount) v.push(`refunded_amount ${order.refundedAmount} ≠ Σ refunds ${refunded}`);
  if (refunded > order.amount) v.push(`refunded ${refunded} > paid ${order.amount}`);
  if (refunds.length > 0 && order.paidAt === null) v.push('refund of an order never paid');
  const cancelRefunds = refunds.filter((r) => r.cause !== 'refund');
  if (cancelRefunds.length > 1) v.push(`${cancelRefunds.length} refunds by reverse/void`);
  if (cancelRefunds.length === 1 && order.state !== 'REVOKED') v.push('reverse refund on an order that is not REVOKED');
  let state: OrderState | null = null;
  let paid = 0;
  for (const h of history) {
    if (h.from !== state) v.push(`history breaks: ${state} then ${h.from}→${h.to}`);
    if (state === null ? h.to !== 'NOTPAY' : !(ALLOWED[state].includes(h.to) || (h.cause === 'refund' && h.to === 'REFUND'))) {
      v.push(`illegal transition ${state}→${h.to} (${h.cause})`);
    }
    if (h.to === 'SUCCESS') paid++;
    state = h.to;
  }
  if (state !== order.state) v.push(`history ends in ${state}, order is ${order.state}`);
  if (paid > 1) v.push(`paid ${paid} times`);
  const refundEntries = history.filter((h) => h.refundId !== null).length;
  if (refundEntries !== refunds.length) v.push(`${refunds.length} refunds but ${refundEntries} history rows name one`);
  return v;
}
