/**
 * The merchant's entry point: `payByCode`, `cancelOrder` and `recover`, over one journal. A sequence is keyed by
 * dialect, merchant and out_trade_no: calling again with the same number resumes or answers the recorded outcome
 * (out-trade numbers are reused on every retry, so the gateway sees one order).
 */
import { driveCancelOrder } from './cancel-order.ts';
import type { DialectClient } from './dialects/answers.ts';
import { dialectClient } from './dialects/index.ts';
import { Journal } from './journal.ts';
import { drivePayByCode } from './pay-by-code.ts';
import { foldFrom, foldSequence, Steps, type SequenceState } from './sequence.ts';
import {
  defaultTiming,
  DIALECTS,
  systemClock,
  type CancelOrderRequest,
  type ClientEvent,
  type Clock,
  type Dialect,
  type MerchantCredentials,
  type Outcome,
  type PayByCodeRequest,
  type Timing,
} from './types.ts';

export interface ClientOptions {
  readonly credentials: MerchantCredentials;
  /** The journal file (created if missing, mode 0600). */
  readonly journalPath: string;
  readonly clock?: Clock;
  readonly timing?: Partial<Timing>;
  /** Real milliseconds one HTTP call may take before it counts as "no answer" (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly onEvent?: (e: ClientEvent) => void;
}

export class TradegateClient {
  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly wires = new Map<Dialect, DialectClient>();
  private readonly running = new Map<string, Promise<Outcome>>();

  constructor(private readonly o: ClientOptions) {
    this.journal = Journal.open(o.journalPath);
    this.clock = o.clock ?? systemClock;
  }

  /** Takes the payer's code; resolves `paid` or `cancelled` — `unknown` only past the caller's deadline. */
  payByCode(r: PayByCodeRequest): Promise<Outcome> {
    if (!Number.isSafeInteger(r.amount) || r.amount <= 0) throw new RangeError('amount must be a positive integer of minor units');
    return this.start('pay', r.dialect, r.out_trade_no, (_seq, timing) => ({
      kind: 'pay',
      out_trade_no: r.out_trade_no,
      pay: { outTradeNo: r.out_trade_no, authCode: r.auth_code, amount: r.amount, currency: r.currency ?? 'CNY', description: r.description ?? 'POS sale' },
      pay_deadline_at: this.clock.now() + timing.payDeadlineMs,
      deadline_at: this.clock.now() + (r.deadlineMs ?? timing.overallDeadlineMs),
    }));
  }

  /** Cancels a QR/native/JSAPI order: close (WeChat) or void (PayCloud), waiting for the window, repeating per rules. */
  cancelOrder(r: CancelOrderRequest): Promise<Outcome> {
    return this.start('cancel', r.dialect, r.out_trade_no, (_seq, timing) => ({
      kind: 'cancel',
      out_trade_no: r.out_trade_no,
      ...(r.created_at !== undefined ? { created_at: r.created_at } : {}),
      deadline_at: this.clock.now() + (r.deadlineMs ?? timing.overallDeadlineMs),
    }));
  }

  /**
   * Resumes every unfinished sequence of the journal (after a crash, or one that passed its deadline: it gets a
   * fresh one). Harmless to repeat: finished sequences are skipped and every step is idempotent at the gateway.
   */
  async recover(o: { deadlineMs?: number } = {}): Promise<Outcome[]> {
    const work: Promise<Outcome>[] = [];
    for (const [seq, records] of this.journal.bySequence()) {
      const s = foldSequence(records);
      if (!s || s.done || this.running.has(seq)) continue;
      const dialect = String(records[0].dialect) as Dialect;
      const timing = this.timing(dialect);
      const deadlineAt = Math.max(s.deadlineAt, this.clock.now() + (o.deadlineMs ?? timing.overallDeadlineMs));
      work.push(this.drive(dialect, { ...s, deadlineAt }));
    }
    return Promise.all(work);
  }

  /** Unfinished sequences in the journal (what `recover()` would resume). */
  pending(): { seq: string; out_trade_no: string; phase: string }[] {
    return [...this.journal.bySequence().values()]
      .map(foldSequence)
      .filter((s): s is SequenceState => !!s && !s.done)
      .map((s) => ({ seq: s.seq, out_trade_no: s.outTradeNo, phase: s.phase }));
  }

  close(): void {
    this.journal.close();
  }

  private timing(dialect: Dialect): Timing {
    return { ...defaultTiming(dialect), ...this.o.timing };
  }

  private wire(dialect: Dialect): DialectClient {
    if (!DIALECTS.includes(dialect)) throw new RangeError(`unknown dialect ${dialect}`);
    let w = this.wires.get(dialect);
    if (!w) {
      w = dialectClient(dialect, { credentials: this.o.credentials, requestTimeoutMs: this.o.requestTimeoutMs ?? 10_000, wallNow: Date.now });
      this.wires.set(dialect, w);
    }
    return w;
  }

  /** A pay and a later cancel of the same order are two sequences. */
  private seqOf(kind: 'pay' | 'cancel', dialect: Dialect, outTradeNo: string): string {
    const merchant = dialect === 'paycloud' ? this.o.credentials.paycloud?.merchantNo : this.o.credentials.mchid;
    return `${kind}:${dialect}/${merchant}/${outTradeNo}`;
  }

  private start(
    kind: 'pay' | 'cancel',
    dialect: Dialect,
    outTradeNo: string,
    begin: (seq: string, timing: Timing) => Record<string, unknown>,
  ): Promise<Outcome> {
    const seq = this.seqOf(kind, dialect, outTradeNo);
    const live = this.running.get(seq);
    if (live) return live;
    const existing = this.journal.bySequence().get(seq);
    let s = existing ? foldSequence(existing) : null;
    if (!s) {
      this.wire(dialect); // configuration errors surface before anything is journalled
      const record = { seq, type: 'begin', at: this.clock.now(), dialect, started_at: this.clock.now(), ...begin(seq, this.timing(dialect)) };
      this.journal.append(record);
      this.o.onEvent?.({ type: 'journal', record });
      s = foldFrom(record, [record]);
    }
    return this.drive(dialect, s);
  }

  private drive(dialect: Dialect, s: SequenceState): Promise<Outcome> {
    const steps = new Steps(
      { journal: this.journal, clock: this.clock, timing: this.timing(dialect), wire: this.wire(dialect), emit: (e) => this.o.onEvent?.(e) },
      s,
    );
    const run = (s.kind === 'pay' ? drivePayByCode(steps) : driveCancelOrder(steps)).finally(() => this.running.delete(s.seq));
    this.running.set(s.seq, run);
    return run;
  }
}
