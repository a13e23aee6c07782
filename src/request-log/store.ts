/**
 * The request log's table: one row per batch of requests, the requests as lines of COPY's text format
 * (store/copy-text.ts), written, trimmed and read back as rows with ids of their own (request-log/listing.ts).
 *
 * Why a batch per row rather than a request per row: PostgreSQL's work for a row of the log — its heap tuple, the
 * key's b-tree entry, its sequence value, the parsing of fourteen columns and the WAL of each — cost it ~16 µs of CPU
 * per request in place (~6 in a loop of COPYs), nearly half of what the log cost a reverse (+3.0 % in paired rounds).
 * An INSERT of a batch's text costs it ~1 µs per request in a loop (lz4 compression included): the requests of a
 * batch are one value, TOASTed and compressed as one. Paired rounds then read the whole log at +1.8 % and +0.7 % of
 * a reverse, on the same machine in the same hour (bench/results/2026-12-06-notes.md). Reading pays instead: a
 * listing parses the lines of the batches it reads, and the lookups search the batches' text (`strpos`) for what
 * they look for, escaped as it is stored. At the default bound (100,000 requests, ~7 MB compressed) a listing that
 * finds nothing takes 35–55 ms when the server's search skips every batch, ~0.2 s when every line must be read.
 */
import { copyField, copyFields, copyLine } from '../store/copy-text.ts';
import type { SqlRunner } from '../store/sql-client.ts';
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
  /** `batch id × ROWS_PER_BATCH + the line's place in its batch`: unique, and newer rows have higher ids. */
  readonly id: number;
}

/** Lines a batch holds at most, and the stride of row ids from one batch to the next. */
export const ROWS_PER_BATCH = 1024;

/** One row as a line of COPY text, its fields in the order `rowOfLine` reads them; diagnostics as JSON. */
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

/** A line (without its newline) as the row it was made from, with the id it has in the table. */
export function rowOfLine(line: string, id: number): StoredRequest {
  const f = copyFields(line);
  return {
    id,
    at: Number(f[0]),
    mchid: f[1],
    dialect: f[2] ?? '',
    operation: f[3],
    method: f[4] ?? '',
    path: f[5] ?? '',
    status: Number(f[6]),
    error_code: f[7],
    message: f[8],
    latency_ms: Number(f[9]),
    request_id: f[10] ?? '',
    out_trade_no: f[11],
    transaction_id: f[12],
    diagnostics: f[13] === null ? null : (JSON.parse(f[13]) as AuthDiagnostics),
  };
}

/** A stored batch as the table gives it back. */
export interface StoredBatch {
  readonly id: string | number;
  /** Lines cut from the batch's start by the trim (their ids are not given again). */
  readonly skipped: number;
  readonly lines: string;
}

/** The lines of a batch, oldest first (the text ends in a newline). */
export const linesOf = (b: StoredBatch): string[] => b.lines.split('\n').slice(0, -1);

/** The id of a stored batch's first line (the others follow it). */
export const firstIdOf = (b: StoredBatch): number => Number(b.id) * ROWS_PER_BATCH + b.skipped;

/** The rows of a stored batch, oldest first. */
export function rowsOfBatch(b: StoredBatch): StoredRequest[] {
  const first = firstIdOf(b);
  return linesOf(b).map((line, i) => rowOfLine(line, first + i));
}

/** The columns the listing filters on, by their place in a line. */
export const FILTERED_COLUMNS = { mchid: 1, status: 6, error_code: 7 } as const;

/**
 * A field's value as it stands in a batch between its neighbours' tabs, to search for with `strpos` (any column but
 * the first and the last; the needle may also match another column: the rows read are then matched exactly).
 */
export const storedField = (v: string | number): string => `\t${copyField(v)}\t`;

/** Rows ready to be written: `count` lines of COPY text (at most ROWS_PER_BATCH), the newest made at `lastAt`. */
export interface RequestBatch {
  readonly count: number;
  readonly lastAt: number;
  readonly lines: Uint8Array;
}

/**
 * One statement for the whole batch; the bytes travel as a binary parameter, which PostgreSQL's text takes as
 * they are (UTF-8), so the batch is never turned back into a JavaScript string.
 */
export async function insertRequests(db: SqlRunner, batch: RequestBatch): Promise<void> {
  if (batch.count === 0) return;
  if (batch.count > ROWS_PER_BATCH) throw new RangeError(`a batch holds at most ${ROWS_PER_BATCH} rows, not ${batch.count}`);
  await db.query('INSERT INTO request_log_batches (rows, last_at, lines) VALUES ($1, $2, $3::text)', [batch.count, batch.lastAt, batch.lines]);
}

/**
 * Keeps the newest `maxRows` rows and none made before `oldestAt`: whole batches beyond either bound go, then the
 * lines of the oldest batch left that are (its first ones: a batch's lines are in the order they were made).
 */
export async function pruneRequests(db: SqlRunner, maxRows: number, oldestAt: number): Promise<void> {
  await db.query(
    `DELETE FROM request_log_batches WHERE last_at < $2 OR id < (
       SELECT id FROM (SELECT id, sum(rows) OVER (ORDER BY id DESC) AS newest FROM request_log_batches) b
       WHERE newest >= $1 ORDER BY id DESC LIMIT 1)`,
    [maxRows, oldestAt],
  );
  const { rows } = await db.query<StoredBatch & { total: string }>(
    'SELECT id, skipped, lines, (SELECT sum(rows) FROM request_log_batches) AS total FROM request_log_batches ORDER BY id LIMIT 1',
  );
  const oldest = rows[0];
  if (!oldest) return;
  const lines = linesOf(oldest);
  let cut = Math.max(0, Number(oldest.total) - maxRows);
  while (cut < lines.length && Number(copyFields(lines[cut])[0]) < oldestAt) cut++;
  if (cut === 0) return;
  // Conditional on the batch as read: another process trimming at the same moment leaves it to the one that did.
  if (cut >= lines.length) {
    await db.query('DELETE FROM request_log_batches WHERE id = $1 AND skipped = $2', [oldest.id, oldest.skipped]);
    return;
  }
  await db.query('UPDATE request_log_batches SET rows = rows - $3, skipped = skipped + $3, lines = $4 WHERE id = $1 AND skipped = $2', [
    oldest.id,
    oldest.skipped,
    cut,
    lines
      .slice(cut)
      .map((l) => `${l}\n`)
      .join(''),
  ]);
}
