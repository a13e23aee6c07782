/**
 * Reading the request log: the listing (newest first, filtered, a page at a time) and an order's requests. Both
 * read batches (request-log/store.ts) a few at a time, the server skipping those whose text lacks what is looked
 * for, and keep the rows that match exactly.
 */
import type { SqlRunner } from '../store/sql-client.ts';
import { copyField } from '../store/copy-text.ts';
import { FILTERED_COLUMNS, firstIdOf, linesOf, ROWS_PER_BATCH, rowOfLine, rowsOfBatch, type StoredBatch, type StoredRequest, storedField } from './store.ts';

/** Batches read per statement: ~2 MB of text at the log's default batch size. */
const BATCHES_PER_READ = 8;

export interface RequestFilter {
  readonly mchid?: string;
  readonly status?: number;
  readonly errorCode?: string;
  /** Only rows with a lower id (keyset cursor). */
  readonly beforeId?: number;
  readonly limit: number;
}

/** Newest first; `limit + 1` rows are read to know whether another page follows. */
export async function listRequests(db: SqlRunner, f: RequestFilter): Promise<StoredRequest[]> {
  // Each filter as its column stands in a line: a line is matched on its text and parsed only when it matches
  // (a listing may read every batch, ~100,000 lines).
  const wanted = (
    [
      [FILTERED_COLUMNS.mchid, f.mchid],
      [FILTERED_COLUMNS.status, f.status],
      [FILTERED_COLUMNS.error_code, f.errorCode],
    ] as const
  ).flatMap(([column, value]) => (value === undefined ? [] : [[column, value] as const]));
  const columnsRead = Math.max(0, ...wanted.map(([column]) => column + 1));
  const stored = wanted.map(([column, value]) => [column, copyField(value)] as const);
  const matches = (line: string) => {
    const fields = line.split('\t', columnsRead);
    return stored.every(([column, text]) => fields[column] === text);
  };
  // The batches of rows below the cursor that hold every value asked for.
  let below = f.beforeId === undefined ? null : Math.floor((f.beforeId - 1) / ROWS_PER_BATCH) + 1;
  const needles = wanted.map(([, value]) => storedField(value));
  const found: StoredRequest[] = [];
  while (found.length < f.limit) {
    const { rows: batches } = await db.query<StoredBatch>(
      `SELECT id, skipped, lines FROM request_log_batches
        WHERE ($1::bigint IS NULL OR id < $1) AND NOT EXISTS (SELECT FROM unnest($2::text[]) n WHERE strpos(lines, n) = 0)
        ORDER BY id DESC LIMIT ${BATCHES_PER_READ}`,
      [below, needles],
    );
    for (const batch of batches) {
      const lines = linesOf(batch);
      const first = firstIdOf(batch);
      for (let i = lines.length - 1; i >= 0 && found.length < f.limit; i--) {
        const id = first + i;
        if ((f.beforeId === undefined || id < f.beforeId) && matches(lines[i])) found.push(rowOfLine(lines[i], id));
      }
    }
    if (batches.length < BATCHES_PER_READ) break;
    below = Number(batches[batches.length - 1].id);
  }
  return found;
}

/** Rows an order's page lists at most. */
const ORDER_REQUESTS = 500;

/** The requests that touched one order, oldest first: by its numbers, or by the request ids its history recorded. */
export async function requestsForOrder(
  db: SqlRunner,
  order: { mchids: readonly string[]; outTradeNo: string; transactionId: string | null; orderId: string },
): Promise<StoredRequest[]> {
  const { rows: history } = await db.query<{ request_id: string }>(
    'SELECT DISTINCT request_id FROM order_history WHERE order_id = $1 AND request_id IS NOT NULL',
    [order.orderId],
  );
  const requestIds = new Set(history.map((h) => h.request_id));
  const matches = (r: StoredRequest) =>
    (r.out_trade_no === order.outTradeNo && r.mchid !== null && order.mchids.includes(r.mchid)) ||
    (order.transactionId !== null && r.transaction_id === order.transactionId) ||
    requestIds.has(r.request_id);
  const needles = [order.outTradeNo, ...(order.transactionId === null ? [] : [order.transactionId]), ...requestIds].map(storedField);
  const found: StoredRequest[] = [];
  let after: number | null = null;
  while (found.length < ORDER_REQUESTS) {
    const { rows: batches }: { rows: StoredBatch[] } = await db.query<StoredBatch>(
      `SELECT id, skipped, lines FROM request_log_batches
        WHERE ($1::bigint IS NULL OR id > $1) AND EXISTS (SELECT FROM unnest($2::text[]) n WHERE strpos(lines, n) > 0)
        ORDER BY id LIMIT ${BATCHES_PER_READ}`,
      [after, needles],
    );
    for (const batch of batches) for (const r of rowsOfBatch(batch)) if (found.length < ORDER_REQUESTS && matches(r)) found.push(r);
    if (batches.length < BATCHES_PER_READ) break;
    after = Number(batches[batches.length - 1].id);
  }
  return found;
}
