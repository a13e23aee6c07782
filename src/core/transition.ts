import type { HistoryCause, HistoryEntry, Order, OrderState, Protocol, Refund } from './order.ts';
import type { OrderEvent } from './state-machine.ts';

export function historyEntry(
  order: Order,
  from: OrderState | null,
  event: OrderEvent | null,
  cause: HistoryCause,
  meta: { protocol: Protocol; requestId: string | null; at: number; refundId?: string | null },
): HistoryEntry {
  return {
    orderId: order.id,
    from,
    to: order.state,
    event,
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
