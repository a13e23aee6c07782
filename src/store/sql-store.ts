import type { Merchant } from '../core/merchant.ts';
import type { HistoryEntry, Order } from '../core/order.ts';
import { NonceReplayedError, type NonceLedger, type RequestNonce } from '../core/nonce-ledger.ts';
import type { DueOrderSource, MerchantLookup, MerchantStore, OutboxEvent, Store, StoreTx } from '../core/ports.ts';
import type { Database, SqlClient, SqlRunner } from './sql-client.ts';
import { LATEST_NOW, MERCHANT_NOW } from './clock-bounds.ts';
import { faultTx } from './fault-store.ts';
import { cachedMerchants } from './merchant-cache.ts';
import { findMerchantByAppId } from './paycloud-apps.ts';
import {
  CHANGE,
  CHANGE_WITH_REFUND,
  HISTORY_INSERT,
  historyParams,
  MERCHANT_PROFILE_SELECT,
  merchantOrderStatement,
  NONCE_UPSERT,
  nonceParams,
  ORDER_INSERT,
  orderKey,
  OUTBOX_INSERT,
  REFUND_INSERT,
  REFUND_UPDATE,
} from './order-statements.ts';
import {
  changedOrderToRow,
  historyFromRow,
  merchantFromRow,
  merchantProfileFromRow,
  orderFromRow,
  orderToRow,
  refundFromRow,
  refundToRow,
  type Row,
} from './rows.ts';

/** Records the nonce with the transaction's or session's first statements (pipelined); a replay fails it. */
const recordNonce = (c: SqlClient, nonce: RequestNonce) =>
  c.write(NONCE_UPSERT, nonceParams(nonce), (rows) => {
    if (rows.length !== 1) throw new NonceReplayedError();
  });
const rememberNonce = async (db: SqlRunner, nonce: RequestNonce) => (await db.query(NONCE_UPSERT, nonceParams(nonce))).rows.length === 1;

/**
 * PostgreSQL text cannot hold U+0000 (the server refuses the parameter), so no stored key contains it: a lookup by
 * such a key finds nothing, instead of failing with an SQL error (a 500) for whoever sent it.
 */
const unstorable = (...keys: readonly unknown[]) => keys.some((k) => typeof k === 'string' && k.includes('\u0000'));

/** A locked order is its transaction's to change (a shared transaction's units change different orders). */
function claimed(c: SqlClient, lock: boolean, order: Order): Order {
  if (lock) c.claimRow('orders', order.id);
  return order;
}

/** The StoreTx of one SQL transaction (or of a lock-free read when `lock` is false). */
function sqlTx(c: SqlClient, lock: boolean): StoreTx {
  return {
    async getMerchant(mchid) {
      if (unstorable(mchid)) return null;
      const { rows } = await c.query(MERCHANT_PROFILE_SELECT, [mchid]);
      return rows[0] ? merchantProfileFromRow(rows[0]) : null;
    },
    async insertOrder(order) {
      const { rows } = await c.query(ORDER_INSERT, orderToRow(order));
      if (rows.length === 1) c.claimRow('orders', order.id);
      return rows.length === 1;
    },
    async lockOrder(ref) {
      const [column, value] = orderKey(ref);
      if (unstorable(ref.mchid, value)) return null;
      const { rows } = await c.query(`SELECT o.* FROM orders o WHERE o.mchid = $1 AND o.${column} = $2${lock ? ' FOR UPDATE' : ''}`, [ref.mchid, value]);
      return rows[0] ? claimed(c, lock, orderFromRow(rows[0])) : null;
    },
    async lockMerchantOrder(ref) {
      const [sql, params] = merchantOrderStatement(ref, lock);
      if (unstorable(...params)) return { merchant: null, order: null };
      const {
        rows: [row],
      } = await c.query(sql, params);
      if (row) return { merchant: merchantProfileFromRow(row.m as Row), order: claimed(c, lock, orderFromRow(row.o as Row)) };
      // No such order: whether its merchant exists decides the answer (a second statement only on this path).
      const {
        rows: [merchant],
      } = await c.query(MERCHANT_PROFILE_SELECT, [ref.mchid]);
      return { merchant: merchant ? merchantProfileFromRow(merchant) : null, order: null };
    },
    recordChange(order, history, refund) {
      const values = [...changedOrderToRow(order), ...historyParams(history)];
      if (refund) c.write(CHANGE_WITH_REFUND, [...values, ...refundToRow(refund)]);
      else c.write(CHANGE, values);
    },
    async listRefunds(orderId) {
      const { rows } = await c.query('SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at, refund_id', [orderId]);
      return rows.map(refundFromRow);
    },
    async findRefund(mchid, ref) {
      const [col, val] = 'outRefundNo' in ref ? (['out_refund_no', ref.outRefundNo] as const) : (['refund_id', ref.refundId] as const);
      if (unstorable(mchid, val)) return null;
      const { rows } = await c.query(`SELECT * FROM refunds WHERE mchid = $1 AND ${col} = $2`, [mchid, val]);
      return rows[0] ? refundFromRow(rows[0]) : null;
    },
    async insertRefund(refund) {
      const { rows } = await c.query(REFUND_INSERT, refundToRow(refund));
      return rows.length === 1;
    },
    updateRefund: (refund) => c.write(REFUND_UPDATE, [refund.refundId, refund.status, refund.successAt]),
    appendHistory: (e: HistoryEntry) => c.write(HISTORY_INSERT, historyParams(e)),
    async listHistory(orderId) {
      const { rows } = await c.query('SELECT * FROM order_history WHERE order_id = $1 ORDER BY id', [orderId]);
      return rows.map(historyFromRow);
    },
    enqueueNotification: (e: OutboxEvent) => c.write(OUTBOX_INSERT, [e.mchid, e.orderId, e.refundId, e.kind, e.protocol, e.url, e.dueAt]),
    ...faultTx(c, lock),
  };
}

/** Every port the SQL store serves; the composition (gateway.ts) hands each part only the ports it needs. */
export type SqlStore = Store &
  MerchantStore &
  MerchantLookup &
  NonceLedger &
  DueOrderSource & {
    readonly db: Database;
  };

/** The whole merchant, keys included: for authentication, signing and provisioning, outside order transactions. */
async function merchantWithKeys(db: SqlRunner, mchid: string): Promise<Merchant | null> {
  if (unstorable(mchid)) return null;
  const { rows } = await db.query('SELECT * FROM merchants WHERE mchid = $1', [mchid]);
  return rows[0] ? merchantFromRow(rows[0]) : null;
}

/** The PostgreSQL order store (server or PGlite): every write goes through one transaction. */
export function sqlStore(db: Database): SqlStore {
  return {
    db,
    merchantForAuth: cachedMerchants((mchid) => merchantWithKeys(db, mchid)),
    // Order transactions may share a database transaction (shared-transactions.ts): sqlTx claims the orders.
    transaction: (fn) => db.sharedTransaction((c) => fn(sqlTx(c, true))),
    // One connection for the read, so that its statements are sent together (lockMerchantOrder: one round trip);
    // reads that start together commit in one transaction (shared-transactions.ts).
    read: (fn) => db.sharedRead((c) => fn(sqlTx(c, false))),
    recordingWith: (nonce) => ({
      async transaction(fn) {
        try {
          return await db.sharedTransaction(async (c) => {
            recordNonce(c, nonce);
            return fn(sqlTx(c, true));
          });
        } catch (err) {
          // The work failed and took the nonce with it: record it alone, so that the request still cannot be replayed.
          if (!(err instanceof NonceReplayedError) && !(await rememberNonce(db, nonce))) throw new NonceReplayedError();
          throw err;
        }
      },
      read: (fn) =>
        db.sharedRead(async (c) => {
          recordNonce(c, nonce);
          return fn(sqlTx(c, false));
        }),
    }),
    remember: (nonce) => rememberNonce(db, nonce),
    merchantByAppId: (appId) => findMerchantByAppId(db, appId),
    async insertMerchant(m: Merchant) {
      await db.query(
        `INSERT INTO merchants (mchid, appid, kind, parent_mchid, region, settings, secrets, clock_offset_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          m.mchid,
          m.appid,
          m.kind,
          m.parentMchid,
          m.region,
          JSON.stringify(m.settings),
          m.secrets ? JSON.stringify(m.secrets) : null,
          m.clockOffsetMs,
          m.createdAt,
        ],
      );
    },
    getMerchant: (mchid) => merchantWithKeys(db, mchid),
    async listMerchants() {
      const { rows } = await db.query('SELECT * FROM merchants ORDER BY created_at, mchid');
      return rows.map(merchantFromRow);
    },
    async advanceClock(mchid, ms) {
      const { rows } = await db.query<{ clock_offset_ms: number }>(
        'UPDATE merchants SET clock_offset_ms = clock_offset_ms + $2 WHERE mchid = $1 RETURNING clock_offset_ms',
        [mchid, ms],
      );
      return rows[0] ? Number(rows[0].clock_offset_ms) : null;
    },
    async gatewaySecret<T>(name: string, create: () => Promise<T>): Promise<T> {
      const read = async () => {
        const { rows } = await db.query<{ value: unknown }>('SELECT value FROM gateway_secrets WHERE name = $1', [name]);
        return rows[0] ? ((typeof rows[0].value === 'string' ? JSON.parse(rows[0].value) : rows[0].value) as T) : undefined;
      };
      const existing = await read();
      if (existing !== undefined) return existing;
      const value = await create();
      await db.query('INSERT INTO gateway_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
        name,
        JSON.stringify(value),
        Date.now(),
      ]);
      return (await read()) as T;
    },
    async dueOrders(wallNow, limit) {
      const { rows } = await db.query<{ mchid: string; id: string }>(DUE_ORDERS, [wallNow, limit]);
      return rows.map((r) => ({ mchid: r.mchid, orderId: r.id }));
    },
  };
}

/**
 * Orders whose time has come on their merchant's clock (business time: wall time plus the merchant's offset), the
 * longest overdue first. The sweeper asks every second, so the statement must read the due orders and no other:
 * - The second bound says the same for the latest clock of all, in a form an index range of `orders_due` can
 *   serve. Without it PostgreSQL read every open order of a provider's sub-merchants each time — 70–80 ms with
 *   200,000 waiting for their payer. Only while one merchant's sandbox clock runs ahead does the range reach further
 *   (to the orders due by that clock).
 * - The order by due time: that bound is known only as the statement runs, so PostgreSQL guesses a third of the
 *   table below it, and from ~100,000 orders it read the whole table rather than an index range — with a million
 *   paid orders and none due, 167 ms and 27,000 pages through the buffer cache every second. An index scan in
 *   `orders_due`'s own order that stops at the limit is the cheapest plan whatever the guess.
 * (bench/results/2026-12-05-notes.md)
 */
export const DUE_ORDERS = `SELECT o.mchid, o.id FROM orders o JOIN merchants m ON m.mchid = o.mchid
  WHERE o.due_at <= ${MERCHANT_NOW} AND o.due_at <= ${LATEST_NOW}
  ORDER BY o.due_at LIMIT $2`;

/** The expired nonces' deletion (an index range of `auth_nonces_expiry`, not a read of the table). */
export const PURGE_NONCES = 'DELETE FROM auth_nonces WHERE expires_at < $1';

/** Deletes nonces past their lifetime (they can no longer be replayed: the timestamp window refuses them). */
export async function purgeNonces(db: Database, now: number): Promise<void> {
  await db.query(PURGE_NONCES, [now]);
}
