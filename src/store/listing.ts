/**
 * Keyset-paginated listings for the sandbox API and the dashboard: merchants in creation order, a merchant's
 * orders newest first. Each page is one indexed range scan (`orders_listing`: mchid, created_at DESC, id DESC),
 * so page 1000 costs what page 1 costs, at any table size.
 */
import type { MerchantProfile } from '../core/merchant.ts';
import type { Order } from '../core/order.ts';
import type { SqlRunner } from './database.ts';
import { MERCHANT_PROFILE_COLUMNS, merchantProfileFromRow, orderFromRow } from './rows.ts';

export interface Page<T> {
  readonly items: T[];
  /** Opaque position after the last item, or null on the last page. */
  readonly next: string | null;
}

/** Cursors are opaque to clients: base64url of the sort key of the last row shown. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key a cursor holds, or a RangeError (the sandbox answers 400) when it was not made by encodeCursor. */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => typeof v === shape[i])) return key as (string | number)[];
  } catch { /* falls through */ }
  throw new RangeError('cursor is not one this API returned');
}

export async function listMerchantsPage(db: SqlRunner, cursor: string | undefined, limit: number): Promise<Page<MerchantProfile>> {
  const after = cursor ? decodeCursor(cursor, ['number', 'string']) : null;
  const { rows } = await db.query(
    `SELECT ${MERCHANT_PROFILE_COLUMNS} FROM merchants ${after ? 'WHERE (created_at, mchid) > ($2, $3)' : ''} ORDER BY created_at, mchid LIMIT $1`,
    after ? [limit + 1, after[0], after[1]] : [limit + 1]);
  const items = rows.slice(0, limit).map(merchantProfileFromRow);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodeCursor([last.createdAt, last.mchid]) : null };
}

export interface OrderFilter {
  readonly state?: string;
  readonly protocol?: string;
  readonly tradeType?: string;
  readonly outTradeNoPrefix?: string;
  /** Business-time creation bounds, ms: from inclusive, to exclusive. */
  readonly createdFrom?: number;
  readonly createdTo?: number;
}

const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const RARE = 20_000;

/**
 * The byte-wise range `[prefix, prefix + U+10FFFF)` of `orders_prefix` when at most RARE orders fall in it (one
 * index-only probe), else null. The range holds every number with the prefix; LIKE keeps the match exact.
 */
async function rarePrefixRange(db: SqlRunner, mchid: string, prefix: string): Promise<[string, string] | null> {
  const range: [string, string] = [prefix, `${prefix}\u{10FFFF}`];
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM orders WHERE mchid = $1 AND out_trade_no ~>=~ $2 AND out_trade_no ~<~ $3 LIMIT ${RARE + 1}) s`,
    [mchid, ...range]);
  return Number(rows[0]?.n ?? 0) <= RARE ? range : null;
}

export async function listOrdersPage(db: SqlRunner, mchid: string, filter: OrderFilter, cursor: string | undefined, limit: number): Promise<Page<Order>> {
  const params: unknown[] = [mchid];
  const where = ['mchid = $1'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.state !== undefined) add('state = ?', filter.state);
  if (filter.protocol !== undefined) add('protocol = ?', filter.protocol);
  if (filter.tradeType !== undefined) add('trade_type = ?', filter.tradeType);
  if (filter.outTradeNoPrefix) add("out_trade_no LIKE ? ESCAPE '\\'", likePrefix(filter.outTradeNoPrefix));
  if (filter.createdFrom !== undefined) add('created_at >= ?', filter.createdFrom);
  if (filter.createdTo !== undefined) add('created_at < ?', filter.createdTo);
  if (cursor) {
    const [at, id] = decodeCursor(cursor, ['number', 'string']);
    params.push(at, id);
    where.push(`(created_at, id) < ($${params.length - 1}, $${params.length})`);
  }
  const limitAt = params.push(limit + 1);
  const prefix = filter.outTradeNoPrefix ? await rarePrefixRange(db, mchid, filter.outTradeNoPrefix) : null;
  // A rare prefix: its few rows come from `orders_prefix` and are sorted; otherwise the ordered index scan is cheap.
  // (The planner cannot know that order numbers sharing a prefix are usually created together, so it is told.)
  const source = prefix
    ? `(SELECT * FROM orders WHERE mchid = $1 AND out_trade_no ~>=~ $${params.push(prefix[0])} AND out_trade_no ~<~ $${params.push(prefix[1])} OFFSET 0) AS orders`
    : 'orders';
  const { rows } = await db.query(
    `SELECT * FROM ${source} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${limitAt}`, params);
  const items = rows.slice(0, limit).map(orderFromRow);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null };
}
