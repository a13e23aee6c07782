/**
 * Whole-store checks for reliability suites: a content snapshot (to prove that rejected requests changed nothing)
 * and an audit of every order with its refunds, history and outbox rows against the invariants of design.md.
 */
import { escapeIdentifier } from 'pg';
import type { HistoryEntry, Order, Refund } from '../../src/core/order.ts';
import type { SqlRunner } from '../../src/store/database.ts';
import { historyFromRow, orderFromRow, refundFromRow } from '../../src/store/rows.ts';
import { orderViolations } from './invariants.ts';

/** Tables whose content a request may change, each with the key that orders its rows. */
export const SNAPSHOT_TABLES: Readonly<Record<string, string>> = {
  merchants: 'mchid',
  orders: 'id',
  refunds: 'refund_id',
  order_history: 'id',
  outbox: 'id',
  notification_attempts: 'id',
  gateway_secrets: 'name',
};

export type StoreSnapshot = Record<string, { rows: number; hash: string }>;

/** Row count and an MD5 over every row's text, in key order, per table. */
export async function storeSnapshot(db: SqlRunner, tables: Readonly<Record<string, string>> = SNAPSHOT_TABLES): Promise<StoreSnapshot> {
  const out: StoreSnapshot = {};
  for (const [table, key] of Object.entries(tables)) {
    const { rows } = await db.query<{ n: number | string; h: string | null }>(
      `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.${escapeIdentifier(key)}), '')) AS h FROM ${escapeIdentifier(table)} t`,
    );
    out[table] = { rows: Number(rows[0]!.n), hash: String(rows[0]!.h) };
  }
  return out;
}

/** The tables whose content differs between two snapshots, described. */
export function snapshotDiff(before: StoreSnapshot, after: StoreSnapshot): string[] {
  return Object.keys(before)
    .filter((t) => before[t]!.hash !== after[t]?.hash)
    .map((t) => `${t}: ${before[t]!.rows} rows → ${after[t]?.rows} rows (content ${before[t]!.hash.slice(0, 8)} → ${after[t]?.hash.slice(0, 8)})`);
}

export interface OutboxFacts {
  readonly id: number;
  readonly orderId: string;
  readonly refundId: string | null;
  readonly kind: string;
  readonly status: string;
  readonly attempts: number;
}

export interface AuditedOrder {
  readonly order: Order;
  readonly refunds: Refund[];
  readonly history: HistoryEntry[];
  readonly outbox: OutboxFacts[];
}

/** Every order (optionally of some merchants) with its refunds, history and outbox rows, read in one pass. */
export async function loadOrders(db: SqlRunner, mchids?: readonly string[]): Promise<AuditedOrder[]> {
  const where = mchids ? 'WHERE mchid = ANY($1::text[])' : '';
  const params = mchids ? [mchids] : [];
  const orders = (await db.query(`SELECT * FROM orders ${where} ORDER BY created_at, id`, params)).rows.map(orderFromRow);
  const ids = orders.map((o) => o.id);
  const refunds = (await db.query('SELECT * FROM refunds WHERE order_id = ANY($1::text[]) ORDER BY created_at, refund_id', [ids])).rows.map(refundFromRow);
  const history = (await db.query('SELECT * FROM order_history WHERE order_id = ANY($1::text[]) ORDER BY id', [ids])).rows.map(historyFromRow);
  const outbox = (
    await db.query('SELECT id, order_id, refund_id, kind, status, attempts FROM outbox WHERE order_id = ANY($1::text[]) ORDER BY id', [ids])
  ).rows.map((r) => ({
    id: Number(r.id),
    orderId: String(r.order_id),
    refundId: r.refund_id === null ? null : String(r.refund_id),
    kind: String(r.kind),
    status: String(r.status),
    attempts: Number(r.attempts),
  }));
  const group = <T>(items: T[], key: (t: T) => string) => {
    const m = new Map<string, T[]>();
    for (const t of items) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
    return m;
  };
  const byOrderR = group(refunds, (r) => r.orderId);
  const byOrderH = group(history, (h) => h.orderId);
  const byOrderO = group(outbox, (o) => o.orderId);
  return orders.map((order) => ({
    order,
    refunds: byOrderR.get(order.id) ?? [],
    history: byOrderH.get(order.id) ?? [],
    outbox: byOrderO.get(order.id) ?? [],
  }));
}

/**
 * design.md's invariants for one order (orderViolations), plus what a half-done operation would leave behind:
 * a history row without its cause or protocol, a history row naming a refund that does not exist, a paid order with
 * a notify_url and not exactly one payment notification (or a payment notification for an unpaid order), a merchant
 * refund with a notify_url and not exactly one refund notification, a REVOKED order that was paid without the
 * refund that gave the money back.
 */
export function auditViolations({ order, refunds, history, outbox }: AuditedOrder): string[] {
  const v = orderViolations(order, refunds, history);
  const refundIds = new Set(refunds.map((r) => r.refundId));
  for (const h of history) {
    if (!h.cause) v.push(`history ${h.from}→${h.to} without a cause`);
    if (!h.protocol) v.push(`history ${h.from}→${h.to} without a protocol`);
    if (h.refundId !== null && !refundIds.has(h.refundId)) v.push(`history names refund ${h.refundId}, which does not exist`);
  }
  const payments = outbox.filter((o) => o.kind === 'payment').length;
  const paid = order.paidAt !== null;
  if (order.notifyUrl && paid && payments !== 1) v.push(`paid order with notify_url has ${payments} payment notifications`);
  if (!paid && payments > 0) v.push(`unpaid order has ${payments} payment notifications`);
  for (const r of refunds) {
    const rows = outbox.filter((o) => o.kind === 'refund' && o.refundId === r.refundId).length;
    const notified = r.cause === 'refund' && (r.notifyUrl ?? order.notifyUrl) !== null;
    if (notified && rows !== 1) v.push(`refund ${r.outRefundNo} with a notify_url has ${rows} notifications`);
    if (!notified && rows !== 0) v.push(`refund ${r.refundId} (${r.cause}) without a notify_url has ${rows} notifications`);
  }
  if (order.state === 'REVOKED' && paid) {
    const back = refunds.reduce((s, r) => s + r.amount, 0);
    if (back !== order.amount) v.push(`paid order REVOKED but only ${back} of ${order.amount} went back`);
    if (refunds.filter((r) => r.cause !== 'refund').length !== 1) v.push('paid order REVOKED without its reverse/void refund');
  }
  return v;
}

/** Every violation in the given orders, prefixed with the order's merchant and number. */
export function allViolations(orders: readonly AuditedOrder[]): string[] {
  return orders.flatMap((o) => auditViolations(o).map((v) => `${o.order.mchid}/${o.order.outTradeNo}: ${v}`));
}
