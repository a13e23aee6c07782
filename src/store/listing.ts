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
  } catch {
    /* falls through */
  }
  throw new RangeError('cursor is not one this API returned');
}

const MERCHANTS_PAGE = `SELECT ${MERCHANT_PROFILE_COLUMNS} FROM merchants
  WHERE ($2::bigint IS NULL OR (created_at, mchid) > ($2, $3)) ORDER BY created_at, mchid LIMIT $1`;

export async function listMerchantsPage(db: SqlRunner, cursor: string | undefined, limit: number): Promise<Page<MerchantProfile>> {
  const after = cursor ? decodeCursor(cursor, ['number', 'string']) : null;
  const { rows } = await db.query(MERCHANTS_PAGE, [limit + 1, after?.[0] ?? null, after?.[1] ?? null]);
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
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM orders WHERE mchid = $1 AND out_trade_no ~>=~ $2 AND out_trade_no ~<~ $3 LIMIT $4) s',
    [mchid, ...range, RARE + 1],
  );
  return Number(rows[0]?.n ?? 0) <= RARE ? range : null;
}

/**
 * Every filter is a parameter, null when absent (unnamed statements are planned with their values, so the null
 * tests fold away): $2 state, $3 protocol, $4 trade type, $5 LIKE prefix, $6/$7 creation bounds, $8/$9 the cursor,
 * $10 the page size + 1.
 */
const ORDER_FILTERS = `mchid = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR protocol = $3)
  AND ($4::text IS NULL OR trade_type = $4) AND ($5::text IS NULL OR out_trade_no LIKE $5 ESCAPE '\\')
  AND ($6::bigint IS NULL OR created_at >= $6) AND ($7::bigint IS NULL OR created_at < $7)
  AND ($8::bigint IS NULL OR (created_at, id) < ($8, $9::text))
  ORDER BY created_at DESC, id DESC LIMIT $10`;
const ORDERS_PAGE = `SELECT * FROM orders WHERE ${ORDER_FILTERS}`;
/** A rare prefix: its few rows come from `orders_prefix` ($11..$12, the byte-wise range) and are sorted. */
const ORDERS_PAGE_IN_RANGE = `SELECT * FROM (SELECT * FROM orders WHERE mchid = $1 AND out_trade_no ~>=~ $11 AND out_trade_no ~<~ $12 OFFSET 0) AS orders
  WHERE ${ORDER_FILTERS}`;

export async function listOrdersPage(db: SqlRunner, mchid: string, filter: OrderFilter, cursor: string | undefined, limit: number): Promise<Page<Order>> {
  const after = cursor ? decodeCursor(cursor, ['number', 'string']) : null;
  const params: unknown[] = [
    mchid,
    filter.state ?? null,
    filter.protocol ?? null,
    filter.tradeType ?? null,
    filter.outTradeNoPrefix ? likePrefix(filter.outTradeNoPrefix) : null,
    filter.createdFrom ?? null,
    filter.createdTo ?? null,
    after?.[0] ?? null,
    after?.[1] ?? null,
    limit + 1,
  ];
  const range = filter.outTradeNoPrefix ? await rarePrefixRange(db, mchid, filter.outTradeNoPrefix) : null;
  // The planner cannot know that order numbers sharing a prefix are usually created together, so it is told.
  const { rows } = range ? await db.query(ORDERS_PAGE_IN_RANGE, [...params, ...range]) : await db.query(ORDERS_PAGE, params);
  const items = rows.slice(0, limit).map(orderFromRow);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null };
}
