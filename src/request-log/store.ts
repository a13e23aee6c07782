/** SQL of the request log: batched inserts, retention, and the keyset-paginated listing. */
import { copyLine } from '../store/copy-text.ts';
import type { Database, SqlRunner } from '../store/database.ts';
import type { AuthDiagnostics } from './note.ts';

export interface RequestLogRow {
  readonly at: number;
  readonly mchid: string | null;
  readonly dialect: string;
  readonly operation: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly error_code: string | null;
  readonly message: string | null;
  readonly latency_ms: number;
  readonly request_id: string;
  readonly out_trade_no: string | null;
  readonly transaction_id: string | null;
  readonly diagnostics: AuthDiagnostics | null;
}

export interface StoredRequest extends RequestLogRow {
  readonly id: number;
}

const COLUMNS =
  'at bigint, mchid text, dialect text, operation text, method text, path text, status integer, error_code text, message text, latency_ms real, request_id text, out_trade_no text, transaction_id text, diagnostics jsonb';
const NAMES = COLUMNS.split(', ')
  .map((c) => c.split(' ')[0])
  .join(', ');

/** Where the log is written: statements, and COPY where the database takes it. */
export type RequestLogDb = SqlRunner & Pick<Database, 'copyIn'>;

const COPY = `COPY request_log (${NAMES}) FROM STDIN`;
const INSERT = `INSERT INTO request_log (${NAMES}) SELECT ${NAMES} FROM jsonb_to_recordset($1::jsonb) AS r(${COLUMNS})`;

/** One row as a line of COPY text, its fields in the order of NAMES; diagnostics as JSON text, which jsonb reads. */
export function copyLineOf(r: RequestLogRow): string {
  const diagnostics = r.diagnostics && JSON.stringify(r.diagnostics);
  return copyLine([
    r.at,
    r.mchid,
    r.dialect,
    r.operation,
    r.method,
    r.path,
    r.status,
    r.error_code,
    r.message,
    r.latency_ms,
    r.request_id,
    r.out_trade_no,
    r.transaction_id,
    diagnostics,
  ]);
}

/** Rows ready to be written: as COPY text for the server, as rows for PGlite (request-log/queue.ts). */
export type RequestBatch = { readonly count: number; readonly copyText: Uint8Array } | { readonly count: number; readonly rows: readonly RequestLogRow[] };

/**
 * One statement for the whole batch. On the server, COPY: PostgreSQL spent ~12 µs of CPU per row on the INSERT
 * below and ~6 µs on COPY in a loop of 256-row batches (bench/results/2026-12-03-notes.md); in place, one batch
 * now and then among the order operations, ~18 µs (2026-12-04). On PGlite, which cannot COPY from a client, an
 * INSERT whose rows travel as one JSON parameter.
 */
export async function insertRequests(db: RequestLogDb, batch: RequestBatch): Promise<void> {
  if (batch.count === 0) return;
  if ('copyText' in batch) {
    if (!db.copyIn) throw new Error('COPY text for a database that cannot COPY');
    await db.copyIn(COPY, batch.copyText);
  } else {
    await db.query(INSERT, [JSON.stringify(batch.rows)]);
  }
}

/** Keeps the newest `maxRows` rows and nothing older than `oldestAt`. */
export async function pruneRequests(db: SqlRunner, maxRows: number, oldestAt: number): Promise<void> {
  await db.query(
    `DELETE FROM request_log WHERE at < $2
       OR id <= (SELECT id FROM request_log ORDER BY id DESC OFFSET $1 LIMIT 1)`,
    [maxRows, oldestAt],
  );
}

export interface RequestFilter {
  readonly mchid?: string;
  readonly status?: number;
  readonly errorCode?: string;
  /** Only rows with a lower id (keyset cursor). */
  readonly beforeId?: number;
  readonly limit: number;
}

const fromRow = (r: Record<string, unknown>): StoredRequest => ({
  ...(r as unknown as StoredRequest),
  id: Number(r.id),
  at: Number(r.at),
  latency_ms: Number(r.latency_ms),
  diagnostics: (typeof r.diagnostics === 'string' ? JSON.parse(r.diagnostics) : r.diagnostics) as AuthDiagnostics | null,
});

/** Newest first; `limit + 1` rows are read to know whether another page follows. */
export async function listRequests(db: SqlRunner, f: RequestFilter): Promise<StoredRequest[]> {
  // One statement text for every filter: an absent filter is a null parameter (unnamed statements are planned with
  // their values, so the null tests fold away and the indexes serve what is asked).
  const { rows } = await db.query(LIST_REQUESTS, [f.mchid ?? null, f.status ?? null, f.errorCode ?? null, f.beforeId ?? null, f.limit]);
  return rows.map(fromRow);
}

const LIST_REQUESTS = `SELECT * FROM request_log
  WHERE ($1::text IS NULL OR mchid = $1) AND ($2::int IS NULL OR status = $2) AND ($3::text IS NULL OR error_code = $3)
    AND ($4::bigint IS NULL OR id < $4)
  ORDER BY id DESC LIMIT $5`;

/** The requests that touched one order: by its numbers, or by the request ids its history recorded. */
export async function requestsForOrder(
  db: SqlRunner,
  order: { mchids: readonly string[]; outTradeNo: string; transactionId: string | null; orderId: string },
): Promise<StoredRequest[]> {
  const { rows } = await db.query(
    `SELECT * FROM request_log
      WHERE (out_trade_no = $1 AND mchid = ANY($2::text[]))
         OR ($3::text IS NOT NULL AND transaction_id = $3)
         OR request_id IN (SELECT request_id FROM order_history WHERE order_id = $4 AND request_id IS NOT NULL)
      ORDER BY id LIMIT 500`,
    [order.outTradeNo, [...order.mchids], order.transactionId, order.orderId],
  );
  return rows.map(fromRow);
}
