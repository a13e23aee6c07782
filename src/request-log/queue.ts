/**
 * What waits to be written, already in the form the table keeps: lines of COPY text in byte chunks of one batch each
 * (request-log/store.ts).
 *
 * Why rows made at once, and bytes: what waits is bounded by what a row may hold (its texts are clipped), not by
 * what the request held — a record kept its request's body until the write, and 20,000 records waiting on a slow
 * database could pin as many bodies. A chunk's bytes are outside the JavaScript heap and one object however many
 * rows it holds. It was also meant to spare the collector the records promoted while they waited (the log's share
 * of collector time was ~1.2 % of the gateway's CPU, perf at 400 APIv3 reverses/s); paired runs did not resolve
 * a difference in CPU per request (+0.5 %, interval −1.4 to +2.3 %; bench/results/2026-12-04-notes.md).
 */
import { copyLineOf, ROWS_PER_BATCH, type RequestBatch, type RequestLogRow } from './store.ts';

/** Bytes per chunk, unless one line is longer: ~256 rows of an API call (~300 bytes each) fit. */
const CHUNK_BYTES = 128 * 1024;

export class RowQueue {
  /** Rows waiting. */
  length = 0;
  private full: RequestBatch[] = [];
  private chunk: Buffer | null = null;
  private used = 0;
  private rows = 0;
  private lastAt = 0;
  private readonly batchRows: number;

  /** Batches of at most `batchRows` rows (and never more than a batch of the table holds). */
  constructor(batchRows: number) {
    this.batchRows = Math.min(batchRows, ROWS_PER_BATCH);
  }

  add(row: RequestLogRow): void {
    const line = copyLineOf(row);
    const bytes = Buffer.byteLength(line);
    if (this.chunk === null || this.rows === this.batchRows || this.used + bytes > this.chunk.length) {
      this.close();
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    }
    this.used += this.chunk.write(line, this.used);
    this.rows++;
    this.lastAt = Math.max(this.lastAt, row.at);
    this.length++;
  }

  /** Everything waiting, oldest first, in batches of at most the queue's batch size; the queue is left empty. */
  takeAll(): RequestBatch[] {
    this.close();
    const taken = this.full;
    this.full = [];
    this.length = 0;
    return taken;
  }

  private close(): void {
    if (this.chunk && this.rows > 0) this.full.push({ count: this.rows, lastAt: this.lastAt, lines: this.chunk.subarray(0, this.used) });
    this.chunk = null;
    this.used = 0;
    this.rows = 0;
    this.lastAt = 0;
  }
}
