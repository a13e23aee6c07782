/**
 * The order store's statements on the request path, each with its set form where units of one shared
 * transaction issue it together (set-statements.ts): a request's nonce, the order locked with its merchant, and
 * a state change's writes. The texts are fixed (values are parameters), so each is prepared once per connection.
 */
import type { RequestNonce } from '../core/nonce-ledger.ts';
import type { HistoryEntry } from '../core/order.ts';
import type { OrderRef } from '../core/ports.ts';
import { CHANGED_ORDER_COLUMNS, MERCHANT_PROFILE_COLUMNS, MERCHANT_PROFILE_FIELDS, ORDER_COLUMNS, placeholders, REFUND_COLUMNS } from './rows.ts';
import { noRows, type SqlType, splitByUnit, unnested, withSetForm } from './set-statements.ts';

/** Each order column's type, for the set forms' arrays (the compiler checks every column has one). */
const ORDER_TYPES: Record<(typeof ORDER_COLUMNS)[number], SqlType> = {
  id: 'text',
  mchid: 'text',
  out_trade_no: 'text',
  transaction_id: 'text',
  trade_type: 'text',
  state: 'text',
  amount: 'bigint',
  currency: 'text',
  description: 'text',
  attach: 'text',
  notify_url: 'text',
  payer_openid: 'text',
  fingerprint: 'text',
  protocol: 'text',
  created_at: 'bigint',
  expires_at: 'bigint',
  paid_at: 'bigint',
  payer_confirm_at: 'bigint',
  payer_deadline_at: 'bigint',
  failure: 'text',
  refunded_amount: 'bigint',
  refund_count: 'integer',
  extra: 'jsonb',
  settlement_rate: 'bigint',
  payer_currency: 'text',
  payer_amount: 'bigint',
  due_at: 'bigint',
};
const REFUND_TYPES: Record<(typeof REFUND_COLUMNS)[number], SqlType> = {
  refund_id: 'text',
  order_id: 'text',
  mchid: 'text',
  out_refund_no: 'text',
  amount: 'bigint',
  currency: 'text',
  status: 'text',
  cause: 'text',
  reason: 'text',
  notify_url: 'text',
  fingerprint: 'text',
  protocol: 'text',
  created_at: 'bigint',
  settle_at: 'bigint',
  success_at: 'bigint',
};
const HISTORY_FIELDS = ['order_id', 'from_state', 'to_state', 'cause', 'protocol', 'request_id', 'at', 'refund_id', 'event'] as const;
const HISTORY_TYPES: Record<(typeof HISTORY_FIELDS)[number], SqlType> = {
  order_id: 'text',
  from_state: 'text',
  to_state: 'text',
  cause: 'text',
  protocol: 'text',
  request_id: 'text',
  at: 'bigint',
  refund_id: 'text',
  event: 'text',
};

/** A table's columns with their types, for `unnested` (named `<prefix><column>` where several tables share one row). */
const typed = <C extends string>(columns: readonly C[], types: Readonly<Record<C, SqlType>>, prefix = '') =>
  columns.map((c) => [`${prefix}${c}`, types[c]] as const);

/**
 * A new row unless the merchant's number for it is taken (then no row: the operation reads the row that has it):
 * a new order (out_trade_no), a merchant's refund (out_refund_no). In the set form two units with one number insert it
 * once (DO NOTHING skips a row the same statement inserted): the second finds it taken, as it would after the first
 * (for an order, its claim on the first's then sends every unit to run again alone). Rows are handed back by the id
 * the gateway made for each unit's row, its first parameter.
 */
function insertUnlessTaken(
  table: 'orders' | 'refunds',
  columns: readonly (readonly [name: string, type: SqlType])[],
  key: 'out_trade_no' | 'out_refund_no',
  id: 'id' | 'refund_id',
): string {
  const COLUMN_LIST = columns.map(([name]) => name).join(', ');
  const { from: NEW_ROWS_FROM, params } = unnested('v', columns);
  return withSetForm(
    `INSERT INTO ${table} (${COLUMN_LIST}) VALUES (${placeholders(columns.length)})
  ON CONFLICT (mchid, ${key}) DO NOTHING RETURNING ${id}`,
    {
      sql: `INSERT INTO ${table} (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM ${NEW_ROWS_FROM} ORDER BY unit
  ON CONFLICT (mchid, ${key}) DO NOTHING RETURNING ${id}`,
      params,
      split: (rows, each) => each.map(([made]) => rows.filter((r) => r[id] === made)),
    },
  );
}
export const ORDER_INSERT = insertUnlessTaken('orders', typed(ORDER_COLUMNS, ORDER_TYPES), 'out_trade_no', 'id');
export const REFUND_INSERT = insertUnlessTaken('refunds', typed(REFUND_COLUMNS, REFUND_TYPES), 'out_refund_no', 'refund_id');
/** A state change's write of its order: what an event changes (CHANGED_ORDER_COLUMNS, the id first). */
const ORDER_UPDATE = `UPDATE orders SET ${CHANGED_ORDER_COLUMNS.slice(1)
  .map((c, i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE id = $1`;
const HISTORY_COLUMNS = HISTORY_FIELDS.join(', ');
/** The history row's insert, its values from parameter `first` on. */
const historyInsert = (first: number) => `INSERT INTO order_history (${HISTORY_COLUMNS}) VALUES (${placeholders(HISTORY_FIELDS.length, first)})`;
const { from: HISTORY_ROWS_FROM, params: historyRowsParams } = unnested('v', typed(HISTORY_FIELDS, HISTORY_TYPES));
export const HISTORY_INSERT = withSetForm(historyInsert(1), {
  sql: `INSERT INTO order_history (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM ${HISTORY_ROWS_FROM} ORDER BY unit`,
  params: historyRowsParams,
  split: noRows,
});
export const historyParams = (e: HistoryEntry) => [e.orderId, e.from, e.to, e.cause, e.protocol, e.requestId, e.at, e.refundId, e.event];

/**
 * A state change's writes as one statement (each statement costs PostgreSQL a bind, an execution and a sync):
 * the order's changed columns ($1…), its history row (after the order's values) and, for a reverse's or void's
 * refund (no out_refund_no, nothing to collide on), the refund's row last. Data-modifying CTEs all run, referenced
 * or not.
 */
const CHANGED_ORDER = `WITH changed_order AS (${ORDER_UPDATE})`;
const HISTORY_AFTER_ORDER = historyInsert(CHANGED_ORDER_COLUMNS.length + 1);
const SINGLE_CHANGE = `${CHANGED_ORDER} ${HISTORY_AFTER_ORDER}`;
const SINGLE_CHANGE_WITH_REFUND = `${CHANGED_ORDER}, full_refund AS (INSERT INTO refunds (${REFUND_COLUMNS.join(', ')})
  VALUES (${placeholders(REFUND_COLUMNS.length, CHANGED_ORDER_COLUMNS.length + HISTORY_FIELDS.length + 1)})) ${HISTORY_AFTER_ORDER}`;

/**
 * The same changes of many orders: one row of `v` per unit (its order's changed columns, then `h_` its history
 * row's, then `r_` its refund's), the orders updated from it, the history (and refund) rows inserted from it, in
 * the units' order. Each unit changes an order of its own (shared-transactions.ts: a row claimed twice fails first).
 */
const orderColumns = typed(CHANGED_ORDER_COLUMNS, ORDER_TYPES);
const historyColumns = typed(HISTORY_FIELDS, HISTORY_TYPES, 'h_');
const refundColumns = typed(REFUND_COLUMNS, REFUND_TYPES, 'r_');
const { from: CHANGES_FROM, params: changesParams } = unnested('v', [...orderColumns, ...historyColumns]);
const { from: REFUNDING_CHANGES_FROM, params: refundingChangesParams } = unnested('v', [...orderColumns, ...historyColumns, ...refundColumns]);
const CHANGED_ORDERS = `changed_orders AS (UPDATE orders SET ${CHANGED_ORDER_COLUMNS.slice(1)
  .map((c) => `${c} = v.${c}`)
  .join(', ')} FROM v WHERE orders.id = v.id)`;
const HISTORY_FROM_V = `INSERT INTO order_history (${HISTORY_COLUMNS}) SELECT ${HISTORY_FIELDS.map((c) => `h_${c}`).join(', ')} FROM v ORDER BY unit`;

export const CHANGE = withSetForm(SINGLE_CHANGE, {
  sql: `WITH v AS (SELECT * FROM ${CHANGES_FROM}), ${CHANGED_ORDERS} ${HISTORY_FROM_V}`,
  params: changesParams,
  split: noRows,
});
export const CHANGE_WITH_REFUND = withSetForm(SINGLE_CHANGE_WITH_REFUND, {
  sql: `WITH v AS (SELECT * FROM ${REFUNDING_CHANGES_FROM}), ${CHANGED_ORDERS},
    full_refunds AS (INSERT INTO refunds (${REFUND_COLUMNS.join(', ')}) SELECT ${REFUND_COLUMNS.map((c) => `r_${c}`).join(', ')} FROM v ORDER BY unit)
    ${HISTORY_FROM_V}`,
  params: refundingChangesParams,
  split: noRows,
});

/**
 * A nonce is new, or its earlier use has expired (only then may it be taken again). Returns a row when accepted.
 * The set form takes the earliest `now` of its units: a unit whose nonce's earlier use expired between its
 * neighbours' clocks and its own is refused as a replay — microseconds, inside a lifetime of minutes, for a
 * random nonce used twice. Two units with one nonce fail it (PostgreSQL will not let one statement take a row
 * twice), and each runs again alone: one accepted, one a replay.
 */
export const NONCE_UPSERT = withSetForm(
  `INSERT INTO auth_nonces (mchid, nonce, expires_at) VALUES ($1, $2, $3)
  ON CONFLICT (mchid, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE auth_nonces.expires_at < $4
  RETURNING nonce`,
  {
    sql: `INSERT INTO auth_nonces (mchid, nonce, expires_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
  ON CONFLICT (mchid, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE auth_nonces.expires_at < $4
  RETURNING mchid, nonce`,
    params: (each) => [each.map((p) => p[0]), each.map((p) => p[1]), each.map((p) => p[2]), Math.min(...each.map((p) => Number(p[3])))],
    split: (rows, each) => each.map(([mchid, nonce]) => rows.filter((r) => r.mchid === mchid && r.nonce === nonce)),
  },
);
export const nonceParams = (n: RequestNonce) => [n.mchid, n.nonce, n.expiresAt, n.now];

/** A notification due (its first attempt at `due_at`, which is also when it was made). */
const OUTBOX_FIELDS = [
  ['mchid', 'text'],
  ['order_id', 'text'],
  ['refund_id', 'text'],
  ['kind', 'text'],
  ['protocol', 'text'],
  ['url', 'text'],
  ['due_at', 'bigint'],
] as const;
const OUTBOX_FIELD_LIST = OUTBOX_FIELDS.map(([name]) => name).join(', ');
/** The fields, then `created_at`: made when first due, so it takes `due_at`'s value (the last field). */
const OUTBOX_COLUMNS = `${OUTBOX_FIELD_LIST}, created_at`;
const { from: OUTBOX_ROWS_FROM, params: outboxRowsParams } = unnested('v', OUTBOX_FIELDS);
export const OUTBOX_INSERT = withSetForm(`INSERT INTO outbox (${OUTBOX_COLUMNS}) VALUES (${placeholders(OUTBOX_FIELDS.length)}, $${OUTBOX_FIELDS.length})`, {
  sql: `INSERT INTO outbox (${OUTBOX_COLUMNS}) SELECT ${OUTBOX_FIELD_LIST}, due_at FROM ${OUTBOX_ROWS_FROM} ORDER BY unit`,
  params: outboxRowsParams,
  split: noRows,
});

export const MERCHANT_PROFILE_SELECT = `SELECT ${MERCHANT_PROFILE_COLUMNS} FROM merchants WHERE mchid = $1`;
export const REFUND_UPDATE = `UPDATE refunds SET status = $2, success_at = $3 WHERE refund_id = $1`;

/** The column an order reference names, and its value (the text is one of three literals: the type says so). */
export function orderKey(ref: OrderRef) {
  if ('outTradeNo' in ref) return ['out_trade_no', ref.outTradeNo] as const;
  if ('transactionId' in ref) return ['transaction_id', ref.transactionId] as const;
  return ['id', ref.orderId] as const;
}
type OrderKeyColumn = ReturnType<typeof orderKey>[0];

/**
 * The order with its merchant's profile in one statement (one statement less per operation than two SELECTs), each
 * as one JSON value: two columns instead of 35. node-postgres asks for the columns' description with every
 * execution and builds its row template from it each time: with 35 columns that was ~8 % of the event loop's CPU per
 * reverse (bench/results/2026-12-03-notes.md). Every column is text, integer, bigint (a safe integer by
 * construction: int8 already arrives as a JS number) or jsonb, so JSON carries each value exactly, as the rows'
 * own mapping reads it. Only the order's row is locked.
 */
const MERCHANT_ORDER_COLUMNS = `to_json(o) AS o, json_build_object(${MERCHANT_PROFILE_FIELDS.map((c) => `'${c}', m.${c}`).join(', ')}) AS m`;

/** One row per unit: the merchant and the value of the order's key column it names. */
const { from: ORDER_KEYS_FROM, params: orderKeysParams } = unnested('k', [
  ['mchid', 'text'],
  ['ref', 'text'],
]);

function merchantOrderSelect(column: OrderKeyColumn, lock: boolean): string {
  const locking = lock ? ' FOR UPDATE OF o' : '';
  return withSetForm(
    `SELECT ${MERCHANT_ORDER_COLUMNS} FROM orders o JOIN merchants m ON m.mchid = o.mchid
  WHERE o.mchid = $1 AND o.${column} = $2${locking}`,
    {
      sql: `SELECT k.unit, ${MERCHANT_ORDER_COLUMNS} FROM ${ORDER_KEYS_FROM}
  JOIN orders o ON o.mchid = k.mchid AND o.${column} = k.ref JOIN merchants m ON m.mchid = o.mchid${locking}`,
      params: orderKeysParams,
      split: splitByUnit,
    },
  );
}

const KEY_COLUMNS = ['out_trade_no', 'transaction_id', 'id'] as const satisfies readonly OrderKeyColumn[];
/** Every (column, lock) pair's statement, registered with its set form once. */
const MERCHANT_ORDER_SELECTS = new Map(KEY_COLUMNS.flatMap((c) => [true, false].map((lock) => [`${c}/${lock}`, merchantOrderSelect(c, lock)] as const)));

/** The statement reading (and with `lock`, locking) the order `ref` names, with its merchant's profile; its parameters. */
export function merchantOrderStatement(ref: OrderRef, lock: boolean): readonly [sql: string, params: readonly [string, string]] {
  const [column, value] = orderKey(ref);
  return [MERCHANT_ORDER_SELECTS.get(`${column}/${lock}`) as string, [ref.mchid, value]];
}
