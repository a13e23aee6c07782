/**
 * What waits to be written, already in the form the database takes: on the server, lines of COPY text in byte
 * chunks of one batch each; on PGlite, rows (its INSERT takes them as JSON).
 *
 * Why rows made at once, and bytes: what waits is bounded by what a row may hold (its texts are clipped), not by
 * what the request held — a record kept its request's body until the write, and 20,000 records waiting on a slow
 * database could pin as many bodies. A chunk's bytes are outside the JavaScript heap and one object however many
 * rows it holds. It was also meant to spare the collector the records promoted while they waited (the log's share
 * of collector time was ~1.2 % of the gateway's CPU, perf at 400 APIv3 reverses/s); paired runs did not resolve
 * a difference in CPU per request (+0.5 %, interval −1.4 to +2.3 %; bench/results/2026-12-04-notes.md).
 */
import { copyLineOf, type RequestBatch, type RequestLogDb, type RequestLogRow } from './store.ts';

export interface RowQueue {
  /** Rows waiting. */
  readonly length: number;
  add(row: RequestLogRow): void;
  /** Everything waiting, oldest first, in batches of at most the queue's batch size; the queue is left empty. */
  takeAll(): RequestBatch[];
}

/** Bytes per chunk, unless one line is longer: ~256 rows of an API call (~300 bytes each) fit. */
const CHUNK_BYTES = 128 * 1024;

class CopyTextQueue implements RowQueue {
  length = 0;
  private full: RequestBatch[] = [];
  private chunk: Buffer | null = null;
  private used = 0;
  private rows = 0;

  constructor(private readonly batchRows: number) {}

  add(row: RequestLogRow): void {
    const line = copyLineOf(row);
    const bytes = Buffer.byteLength(line);
    if (this.chunk === null || this.rows === this.batchRows || this.used + bytes > this.chunk.length) {
      this.close();
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    }
    this.used += this.chunk.write(line, this.used);
    this.rows++;
    this.length++;
  }

  takeAll(): RequestBatch[] {
    this.close();
    const taken = this.full;
    this.full = [];
    this.length = 0;
    return taken;
  }

  private close(): void {
    if (this.chunk && this.rows > 0) this.full.push({ count: this.rows, copyText: this.chunk.subarray(0, this.used) });
    this.chunk = null;
    this.used = 0;
    this.rows = 0;
  }
}

class RowsQueue implements RowQueue {
  private rows: RequestLogRow[] = [];

  constructor(private readonly batchRows: number) {}

  get length(): number {
    return this.rows.length;
  }

  add(row: RequestLogRow): void {
    this.rows.push(row);
  }

  takeAll(): RequestBatch[] {
    const batches: RequestBatch[] = [];
    for (let at = 0; at < this.rows.length; at += this.batchRows) {
      const rows = this.rows.slice(at, at + this.batchRows);
      batches.push({ count: rows.length, rows });
    }
    this.rows = [];
    return batches;
  }
}

/** The queue for `db`: COPY text where it can COPY, rows where it cannot. */
export function queueFor(db: RequestLogDb, batchRows: number): RowQueue {
  return db.copyIn ? new CopyTextQueue(batchRows) : new RowsQueue(batchRows);
}
