/**
 * The request log's writer: the request path pushes a record, made at once a row in the form the database takes
 * (request-log/queue.ts); the queue is written in one statement per `batchRows` rows when it holds that many or
 * has waited `flushIntervalMs`, one write at a time, and now and then the table is trimmed to its bounds.
 *
 * Why small batches, written as they fill: with a whole second of a busy gateway (3,000 requests) in one statement,
 * the event loop was held 11–14 ms at once (the rows were then built at write time, and inserted a row each) and
 * one of two cores taken for ~25 ms, once a second, and every request in flight waited: the query row's p99 fell
 * from 42.0 to 39.7 ms (mean of 7 interleaved rounds) with batches of 256 (bench/results/2026-12-02-notes.md). While a write is in flight the queue
 * grows (up to `maxBuffered` rows) and the next write takes all of it, a statement per batch: the batch size
 * follows what the database keeps up with.
 */
import type { SqlRunner } from '../store/sql-client.ts';
import { RowQueue } from './queue.ts';
import { type PendingRequest, toRow } from './row.ts';
import { insertRequests, pruneRequests, type RequestBatch } from './store.ts';

export interface RequestLogOptions {
  /** Rows kept (newest). */
  readonly maxRows: number;
  /** Age after which rows are deleted. */
  readonly maxAgeMs: number;
  readonly flushIntervalMs: number;
  /** Rows written as soon as this many are queued, and at most this many per statement (and per batch of the table: 1,024 at most). */
  readonly batchRows: number;
  /** Records held in memory at most while the database is slow; beyond, new records are counted and dropped. */
  readonly maxBuffered: number;
}

export const DEFAULT_REQUEST_LOG_OPTIONS: RequestLogOptions = {
  maxRows: 100_000,
  maxAgeMs: 7 * 86_400_000,
  flushIntervalMs: 1000,
  batchRows: 256,
  maxBuffered: 20_000,
};

const PRUNE_EVERY_MS = 60_000;

export class RequestLogWriter {
  private readonly queue: RowQueue;
  private timer: NodeJS.Timeout | null = null;
  /** A write asked for because a batch is full, due in the next turn. */
  private soon: NodeJS.Immediate | null = null;
  /** A write is in flight: a full batch waits for it instead of starting a write of its own. */
  private writing = false;
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private closed = false;
  /** Records dropped because the queue was full (the database could not keep up) or their row could not be made. */
  dropped = 0;

  constructor(
    private readonly db: SqlRunner,
    private readonly now: () => number,
    readonly options: RequestLogOptions = DEFAULT_REQUEST_LOG_OPTIONS,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.queue = new RowQueue(options.batchRows);
  }

  /** The only call on the request path (after the answer has left): the record is made a row and queued. */
  push(record: PendingRequest): void {
    if (this.closed) return;
    if (this.queue.length >= this.options.maxBuffered) {
      this.dropped++;
      return;
    }
    try {
      this.queue.add(toRow(record));
    } catch (err) {
      this.dropped++;
      this.onError(err);
      return;
    }
    this.schedule();
  }

  /**
   * Asks for the next write: in the next turn when a batch is full (not in the caller's turn: the rows are built
   * after the answers of this turn have left), else after the interval. Nothing while a write is in flight: it
   * asks again when it ends, so at most one write and one queue are ever held (memory stays bounded by
   * `maxBuffered` when the database is slow).
   */
  private schedule(): void {
    if (this.closed || this.writing || this.soon || this.queue.length === 0) return;
    if (this.queue.length >= this.options.batchRows) {
      this.soon = setImmediate(this.due);
    } else if (!this.timer) {
      this.timer = setTimeout(this.due, this.options.flushIntervalMs);
      this.timer.unref();
    }
  }

  private readonly due = () => {
    this.timer = null;
    this.soon = null;
    if (!this.writing) void this.flush();
  };

  /** Writes what is queued; resolves when everything pushed before the call is in the table. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
    const batches = this.queue.takeAll();
    this.flushing = this.flushing.then(() => this.write(batches));
    return this.flushing;
  }

  private async write(batches: readonly RequestBatch[]): Promise<void> {
    this.writing = true;
    try {
      for (const batch of batches) await insertRequests(this.db, batch);
      const now = this.now();
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await pruneRequests(this.db, this.options.maxRows, now - this.options.maxAgeMs);
      }
    } catch (err) {
      // The log is diagnostics: a failed batch is reported and dropped, never retried into an unbounded queue.
      if (!this.closed) this.onError(err);
    } finally {
      this.writing = false;
    }
    // What was pushed while this write was in flight goes next.
    this.schedule();
  }

  /** Trims the table now (tests; the timer does it every minute otherwise). */
  async prune(): Promise<void> {
    await this.flush();
    await pruneRequests(this.db, this.options.maxRows, this.now() - this.options.maxAgeMs);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}
