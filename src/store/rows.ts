/** Row ⇄ domain mapping: the only place that knows column names. */
import type { PaymentFailure } from '../core/errors.ts';
import type { Merchant, MerchantProfile } from '../core/merchant.ts';
import type { HistoryCause, HistoryEntry, Order, OrderState, Protocol, Refund } from '../core/order.ts';
import { dueAt } from '../core/policy.ts';
import { legacySettlement, type Settlement } from '../core/settlement.ts';
import { EVENT_FIELDS, type EventField, type OrderEvent } from '../core/state-machine.ts';

export type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** The settlement columns, or for an order stored before they existed, what its dialect kept in `extra`. */
function settlementFromRow(r: Row, amount: number, currency: string, extra: Record<string, unknown>): Settlement | null {
  if (r.settlement_rate === null || r.settlement_rate === undefined) return legacySettlement(amount, currency, extra);
  return { rate: num(r.settlement_rate), payerCurrency: String(r.payer_currency), payerAmount: num(r.payer_amount) };
}

export function orderFromRow(r: Row): Order {
  const extra = json<Record<string, unknown>>(r.extra ?? {});
  return {
    id: String(r.id),
    mchid: String(r.mchid),
    outTradeNo: String(r.out_trade_no),
    transactionId: strOrNull(r.transaction_id),
    tradeType: r.trade_type as Order['tradeType'],
    state: r.state as OrderState,
    amount: num(r.amount),
    currency: String(r.currency),
    description: String(r.description),
    attach: strOrNull(r.attach),
    notifyUrl: strOrNull(r.notify_url),
    payerOpenid: strOrNull(r.payer_openid),
    fingerprint: String(r.fingerprint),
    protocol: r.protocol as Protocol,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    paidAt: numOrNull(r.paid_at),
    payerConfirmAt: numOrNull(r.payer_confirm_at),
    payerDeadlineAt: numOrNull(r.payer_deadline_at),
    failure: strOrNull(r.failure) as PaymentFailure | null,
    refundedAmount: num(r.refunded_amount),
    refundCount: num(r.refund_count),
    settlement: settlementFromRow(r, num(r.amount), String(r.currency), extra),
    extra,
  };
}

export const ORDER_COLUMNS = [
  'id',
  'mchid',
  'out_trade_no',
  'transaction_id',
  'trade_type',
  'state',
  'amount',
  'currency',
  'description',
  'attach',
  'notify_url',
  'payer_openid',
  'fingerprint',
  'protocol',
  'created_at',
  'expires_at',
  'paid_at',
  'payer_confirm_at',
  'payer_deadline_at',
  'failure',
  'refunded_amount',
  'refund_count',
  'extra',
  'settlement_rate',
  'payer_currency',
  'payer_amount',
  'due_at',
] as const;

export function orderToRow(o: Order): unknown[] {
  return [
    o.id,
    o.mchid,
    o.outTradeNo,
    o.transactionId,
    o.tradeType,
    o.state,
    o.amount,
    o.currency,
    o.description,
    o.attach,
    o.notifyUrl,
    o.payerOpenid,
    o.fingerprint,
    o.protocol,
    o.createdAt,
    o.expiresAt,
    o.paidAt,
    o.payerConfirmAt,
    o.payerDeadlineAt,
    o.failure,
    o.refundedAmount,
    o.refundCount,
    JSON.stringify(o.extra),
    o.settlement?.rate ?? null,
    o.settlement?.payerCurrency ?? null,
    o.settlement?.payerAmount ?? null,
    // When time alone will change the order (the core's rule), for the sweeper's SQL to select by.
    dueAt(o),
  ];
}

type OrderColumn = (typeof ORDER_COLUMNS)[number];
/** The column of each fact an event changes (the compiler checks every one has one). */
const EVENT_COLUMNS: Record<EventField, OrderColumn> = {
  state: 'state',
  paidAt: 'paid_at',
  transactionId: 'transaction_id',
  failure: 'failure',
  payerConfirmAt: 'payer_confirm_at',
  payerDeadlineAt: 'payer_deadline_at',
  refundedAmount: 'refunded_amount',
  refundCount: 'refund_count',
};
/**
 * What a state change writes of its order: the id, the facts an event changes, and the due time they decide.
 * Fewer columns than the row's 27 (each is a parameter array for PostgreSQL to read and the driver to build, for
 * every unit of a set statement).
 */
export const CHANGED_ORDER_COLUMNS: readonly OrderColumn[] = ['id', ...EVENT_FIELDS.map((f) => EVENT_COLUMNS[f]), 'due_at'];

/** An order's values for `CHANGED_ORDER_COLUMNS` (each stored as the order holds it). */
export function changedOrderToRow(o: Order): unknown[] {
  return [o.id, ...EVENT_FIELDS.map((f) => o[f]), dueAt(o)];
}

export function refundFromRow(r: Row): Refund {
  return {
    refundId: String(r.refund_id),
    orderId: String(r.order_id),
    mchid: String(r.mchid),
    outRefundNo: strOrNull(r.out_refund_no),
    amount: num(r.amount),
    currency: String(r.currency),
    status: r.status as Refund['status'],
    cause: r.cause as Refund['cause'],
    reason: strOrNull(r.reason),
    notifyUrl: strOrNull(r.notify_url),
    fingerprint: String(r.fingerprint),
    protocol: r.protocol as Protocol,
    createdAt: num(r.created_at),
    settleAt: num(r.settle_at),
    successAt: numOrNull(r.success_at),
  };
}

export const REFUND_COLUMNS = [
  'refund_id',
  'order_id',
  'mchid',
  'out_refund_no',
  'amount',
  'currency',
  'status',
  'cause',
  'reason',
  'notify_url',
  'fingerprint',
  'protocol',
  'created_at',
  'settle_at',
  'success_at',
] as const;

export function refundToRow(f: Refund): unknown[] {
  return [
    f.refundId,
    f.orderId,
    f.mchid,
    f.outRefundNo,
    f.amount,
    f.currency,
    f.status,
    f.cause,
    f.reason,
    f.notifyUrl,
    f.fingerprint,
    f.protocol,
    f.createdAt,
    f.settleAt,
    f.successAt,
  ];
}

export function historyFromRow(r: Row): HistoryEntry {
  return {
    orderId: String(r.order_id),
    from: strOrNull(r.from_state) as OrderState | null,
    to: r.to_state as OrderState,
    event: strOrNull(r.event) as OrderEvent | null,
    cause: String(r.cause) as HistoryCause,
    protocol: r.protocol as Protocol,
    requestId: strOrNull(r.request_id),
    at: num(r.at),
    refundId: strOrNull(r.refund_id),
  };
}

/** Everything but the key material: what operations read inside their transactions (20 KB less per read). */
export const MERCHANT_PROFILE_FIELDS = [
  'mchid',
  'appid',
  'kind',
  'parent_mchid',
  'region',
  'settings',
  'clock_offset_ms',
  'created_at',
  'fault_count',
] as const;
export const MERCHANT_PROFILE_COLUMNS = MERCHANT_PROFILE_FIELDS.join(', ');

/**
 * A merchant without its key material, read with every locked order. Built as an object of its own and then given
 * its secrets by `merchantFromRow`, not spread from a row: on Node 20's V8 a key added after a leading spread (the
 * row given `secrets: null`) takes the runtime's slow path and leaves a new hidden class in the old generation.
 */
export function merchantProfileFromRow(r: Row): MerchantProfile {
  return {
    mchid: String(r.mchid),
    appid: String(r.appid),
    kind: r.kind as Merchant['kind'],
    parentMchid: strOrNull(r.parent_mchid),
    region: r.region as Merchant['region'],
    settings: json<Merchant['settings']>(r.settings),
    clockOffsetMs: num(r.clock_offset_ms),
    createdAt: num(r.created_at),
    faultCount: r.fault_count === undefined ? 0 : num(r.fault_count),
  };
}

export function merchantFromRow(r: Row): Merchant {
  const secrets = r.secrets === null || r.secrets === undefined ? null : json<NonNullable<Merchant['secrets']>>(r.secrets);
  return Object.assign(merchantProfileFromRow(r), { secrets });
}

/** `$1, $2, …` for n values starting at `from`. */
export function placeholders(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');
}
