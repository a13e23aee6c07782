/**
 * The request log's writer: the request path only pushes a small record into an in-memory buffer; the buffer is
 * written in one INSERT when it holds `batchRows` records or has waited `flushIntervalMs`, one write at a time,
 * and now and then the table is trimmed to its bounds. Work that can wait (finding the order a request addressed
 * in its body, truncating) is done at write time.
 *
 * Why small batches, written as they fill: a write's rows are built on the event loop (~1.5 µs each) and inserted
 * by one PostgreSQL backend (~8 µs each). With a whole second of a busy gateway (3,000 requests) in one INSERT, the
 * event loop was held 11–14 ms at once and one of two cores taken for ~25 ms, once a second, and every request in
 * flight waited: the query row's p99 fell from 42.0 to 39.7 ms (mean of 7 interleaved rounds) with batches of 256
 * (bench/results/2026-12-02-notes.md). While a write is in flight the buffer grows (up to `maxBuffered`) and the
 * next write takes all of it, in slices of `batchRows`: the batch size follows what the database keeps up with.
 */
import type { AuthDiagnostics } from './note.ts';
import { insertRequests, pruneRequests, type RequestLogDb, type RequestLogRow } from './store.ts';

export interface RequestLogOptions {
  /** Rows kept (newest). */
  readonly maxRows: number;
  /** Age after which rows are deleted. */
  readonly maxAgeMs: number;
  readonly flushIntervalMs: number;
  /** Records written as soon as this many are buffered, and at most this many per INSERT. */
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

/** What the request path records: references only, nothing derived yet. */
export interface PendingRequest {
  readonly at: number;
  readonly dialect: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly requestId: string;
  readonly body: unknown;
  readonly mchid?: string;
  readonly operation?: string;
  readonly errorCode?: string;
  readonly message?: string;
  readonly diagnostics?: AuthDiagnostics;
}

const PRUNE_EVERY_MS = 60_000;
const MAX_TEXT = 4096;

/** PostgreSQL text cannot hold U+0000, and one such value would fail its whole batch: it is logged as U+FFFD. */
const storable = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

const clip = (s: string | undefined | null, n = 128): string | null => (s === undefined || s === null ? null : storable(s.slice(0, n)));

/** The diagnostics' texts made storable (they quote what the caller sent: a body may hold anything). */
function storableDiagnostics(d: AuthDiagnostics): AuthDiagnostics {
  return {
    ...d,
    reason: storable(d.reason),
    expected_signing_string: clip(d.expected_signing_string, MAX_TEXT) ?? undefined,
    key: clip(d.key, MAX_TEXT) ?? undefined,
    sign_type: clip(d.sign_type) ?? undefined,
    received_signature_prefix: clip(d.received_signature_prefix) ?? undefined,
    valid_serials: d.valid_serials?.map(storable),
  };
}

/** Per field name: JSON `"name":"v"`, XML `<name>v</name>` (CDATA too), form `name=v`; compiled once. */
const FIELD_PATTERNS = new Map<string, readonly [RegExp, RegExp, RegExp]>();

function patternsOf(name: string): readonly [RegExp, RegExp, RegExp] {
  let p = FIELD_PATTERNS.get(name);
  if (!p) {
    p = [
      new RegExp(`"${name}"\\s*:\\s*"([^"\\\\]{1,64})"`),
      new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]{1,64})`),
      new RegExp(`(?:^|&)${name}=([^&]{1,64})`),
    ];
    FIELD_PATTERNS.set(name, p);
  }
  return p;
}

/** A field of the body as sent, whichever dialect's format the body has. */
function fieldOf(text: string, name: string): string | null {
  if (!text.includes(name)) return null;
  const [json, xml, form] = patternsOf(name);
  const found = json.exec(text) ?? xml.exec(text);
  if (found) return found[1];
  const f = form.exec(text);
  if (!f) return null;
  try {
    return decodeURIComponent(f[1].replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const SEGMENTS = new Map<string, RegExp>();

/** A path segment after `marker` (APIv3 `…/out-trade-no/{no}`, `…/id/{transaction_id}`), decoded. */
function segmentAfter(url: string, marker: string): string | null {
  if (!url.includes(marker)) return null;
  let re = SEGMENTS.get(marker);
  if (!re) {
    re = new RegExp(`${marker}([^/?]{1,96})`);
    SEGMENTS.set(marker, re);
  }
  const m = re.exec(url);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** The order a request addressed: the path first, then the body (PayCloud calls it merchant_order_no). */
function orderNumbers(p: PendingRequest): { outTradeNo: string | null; transactionId: string | null } {
  const text = Buffer.isBuffer(p.body) ? p.body.subarray(0, 64 * 1024).toString('utf8') : '';
  const outTradeNo =
    segmentAfter(p.url, '/out-trade-no/') ??
    fieldOf(text, 'out_trade_no') ??
    (p.dialect === 'paycloud' && !/"?method"?\s*[:=]\s*"?order\.refund/.test(text) ? fieldOf(text, 'merchant_order_no') : null);
  const transactionId = segmentAfter(p.url, '/transactions/id/') ?? fieldOf(text, 'transaction_id') ?? fieldOf(text, 'trans_no');
  return { outTradeNo, transactionId };
}

export function toRow(p: PendingRequest): RequestLogRow {
  const { outTradeNo, transactionId } = orderNumbers(p);
  const d = p.diagnostics;
  return {
    at: p.at,
    mchid: clip(p.mchid, 64),
    dialect: p.dialect,
    operation: clip(p.operation),
    method: storable(p.method.slice(0, 16)),
    path: storable(p.url.slice(0, 1024)),
    status: p.status,
    error_code: clip(p.errorCode, 64),
    message: clip(p.message, 256),
    latency_ms: Math.round(p.latencyMs * 1000) / 1000,
    request_id: p.requestId,
    out_trade_no: clip(outTradeNo, 64),
    transaction_id: clip(transactionId, 64),
    diagnostics: d ? storableDiagnostics(d) : null,
  };
}

export class RequestLogWriter {
  private buffer: PendingRequest[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** A write asked for because the buffer is full, due in the next turn. */
  private soon: NodeJS.Immediate | null = null;
  /** A write is in flight: a full buffer waits for it instead of queueing a write of its own. */
  private writing = false;
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private closed = false;
  /** Records dropped because the buffer was full (the database could not keep up). */
  dropped = 0;

  constructor(
    private readonly db: RequestLogDb,
    private readonly now: () => number,
    readonly options: RequestLogOptions = DEFAULT_REQUEST_LOG_OPTIONS,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** The only call on the request path. */
  push(record: PendingRequest): void {
    if (this.closed) return;
    if (this.buffer.length >= this.options.maxBuffered) {
      this.dropped++;
      return;
    }
    this.buffer.push(record);
    this.schedule();
  }

  /**
   * Asks for the next write: in the next turn when a batch is full (not in the caller's turn: the rows are built
   * after the answers of this turn have left), else after the interval. Nothing while a write is in flight: it
   * asks again when it ends, so at most one write and one buffer are ever held (memory stays bounded by
   * `maxBuffered` when the database is slow).
   */
  private schedule(): void {
    if (this.closed || this.writing || this.soon || this.buffer.length === 0) return;
    if (this.buffer.length >= this.options.batchRows) {
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

  /** Writes what is buffered; resolves when everything pushed before the call is in the table. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: PendingRequest[]): Promise<void> {
    this.writing = true;
    try {
      // One slice at a time, each built just before it is sent: the event loop is never held for a whole backlog.
      for (let at = 0; at < batch.length; at += this.options.batchRows) {
        await insertRequests(this.db, batch.slice(at, at + this.options.batchRows).map(toRow));
      }
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
