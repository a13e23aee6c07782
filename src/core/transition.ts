import type { HistoryEntry, Order, OrderState, Protocol, Refund } from './order.ts';

/** The order after moving to `to` at business time `at`; payment facts are set once and never cleared. */
export function moveOrder(order: Order, to: OrderState, at: number, patch: Partial<Order> = {}): Order {
  return {
    ...order,
    state: to,
    paidAt: to === 'SUCCESS' && order.paidAt === null ? at : order.paidAt,
    payerConfirmAt: to === 'USERPAYING' ? order.payerConfirmAt : null,
    payerDeadlineAt: to === 'USERPAYING' ? order.payerDeadlineAt : null,
    ...patch,
  };
}

export function historyEntry(
  order: Order,
  from: OrderState | null,
  cause: string,
  meta: { protocol: Protocol; requestId: string | null; at: number; refundId?: string | null },
): HistoryEntry {
  return {
    orderId: order.id,
    from,
    to: order.state,
    cause,
    protocol: meta.protocol,
    requestId: meta.requestId,
    at: meta.at,
    refundId: meta.refundId ?? null,
  };
}

/** A refund that is still PROCESSING past its settle time has succeeded (at its settle time). */
export function settledRefund(refund: Refund, now: number): Refund | null {
  if (refund.status !== 'PROCESSING' || refund.settleAt > now) return null;
  return { ...refund, status: 'SUCCESS', successAt: refund.settleAt };
}
