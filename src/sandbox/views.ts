/** The sandbox's own view of an order: every fact, its refunds (including reverse/void refunds) and its history. */
import type { Order } from '../core/order.ts';
import type { GatewayDeps } from '../server-deps.ts';
import type { AttemptRecord, OutboxRow } from '../store/outbox-store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function sandboxOrderView(deps: GatewayDeps, order: Order): Promise<Record<string, unknown>> {
  const { refunds, history, firings } = await deps.store.read(async (tx) => ({
    refunds: await tx.listRefunds(order.id),
    history: await tx.listHistory(order.id),
    firings: await tx.listFaultFirings(order.mchid, order.outTradeNo),
  }));
  return {
    mchid: order.mchid,
    out_trade_no: order.outTradeNo,
    transaction_id: order.transactionId,
    trade_type: order.tradeType,
    state: order.state,
    amount: order.amount,
    currency: order.currency,
    refunded_amount: order.refundedAmount,
    created_at: iso(order.createdAt),
    expires_at: iso(order.expiresAt),
    paid_at: iso(order.paidAt),
    failure: order.failure,
    protocol: order.protocol,
    refunds: refunds.map((r) => ({
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      cause: r.cause,
      created_at: iso(r.createdAt),
      success_at: iso(r.successAt),
    })),
    history: history.map((h) => ({
      from: h.from,
      to: h.to,
      cause: h.cause,
      protocol: h.protocol,
      request_id: h.requestId,
      at: iso(h.at),
      refund_id: h.refundId,
    })),
    // The fault lab's fired-faults log for this order number (a faulted create may have left no order at all).
    faults_fired: firings.map((f) => ({
      fault_id: f.faultId,
      effect: f.effect,
      commit: f.commit,
      operation: f.operation,
      dialect: f.dialect,
      request_id: f.requestId,
      at: iso(f.at),
    })),
  };
}

/** A notification with every attempt (business time `at`, wall time `wall_at`). */
export function notificationView(e: OutboxRow & { attemptLog: AttemptRecord[] }): Record<string, unknown> {
  return {
    id: e.id,
    kind: e.kind,
    protocol: e.protocol,
    url: e.url,
    status: e.status,
    attempts: e.attempts,
    next_attempt_at: e.status === 'pending' ? iso(e.dueAt) : null,
    delivered_at: iso(e.deliveredAt),
    payload: e.payload,
    attempt_log: e.attemptLog.map((a) => ({
      attempt: a.attempt,
      at: iso(a.at),
      wall_at: iso(a.wallAt),
      status_code: a.statusCode,
      response: a.response,
      error: a.error,
      duration_ms: a.durationMs,
      acknowledged: a.acknowledged,
    })),
  };
}
