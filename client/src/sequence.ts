/**
 * What every sequence shares: journalled calls (the record is on disk before the request leaves), the final
 * confirmation query after a cancellation, and the outcome record.
 */
import type { CancelAnswer, DialectClient, PayAnswer, PayParams, QueryAnswer } from './dialects/answers.ts';
import type { Journal, JournalRecord } from './journal.ts';
import type { ClientEvent, Clock, MoneyMoved, Outcome, Timing } from './types.ts';

export interface SequenceDeps {
  readonly journal: Journal;
  readonly clock: Clock;
  readonly timing: Timing;
  readonly wire: DialectClient;
  readonly emit: (e: ClientEvent) => void;
}

/** The sequence's facts, folded from its journal records. */
export interface SequenceState {
  readonly seq: string;
  readonly kind: 'pay' | 'cancel';
  readonly outTradeNo: string;
  readonly startedAt: number;
  readonly deadlineAt: number;
  /** Pay sequences: when waiting for the payer ends and cancelling begins (fixed at the start, kept by recovery). */
  readonly payDeadlineAt?: number;
  readonly pay?: PayParams;
  readonly createdAt?: number;
  phase: 'paying' | 'cancelling';
  paySent: boolean;
  /** A verified answer said the order was paid. */
  sawPaid: boolean;
  done?: Outcome;
}

export function foldSequence(records: readonly JournalRecord[]): SequenceState | null {
  const begin = records.find((r) => r.type === 'begin');
  return begin ? foldFrom(begin, records) : null;
}

/** The state of a sequence from its begin record and every record after it (the begin among them or not). */
export function foldFrom(begin: JournalRecord, records: readonly JournalRecord[]): SequenceState {
  const s: SequenceState = {
    seq: begin.seq,
    kind: begin.kind as 'pay' | 'cancel',
    outTradeNo: String(begin.out_trade_no),
    startedAt: Number(begin.started_at),
    deadlineAt: Number(begin.deadline_at),
    payDeadlineAt: begin.pay_deadline_at as number | undefined,
    pay: begin.pay as PayParams | undefined,
    createdAt: begin.created_at as number | undefined,
    phase: 'paying',
    paySent: false,
    sawPaid: false,
  };
  for (const r of records) {
    if (r.type === 'phase') s.phase = r.phase as SequenceState['phase'];
    if (r.type === 'send' && r.op === 'pay') s.paySent = true;
    if (r.type === 'answer' && r.paid === true) s.sawPaid = true;
    if (r.type === 'done') s.done = r.outcome as Outcome;
  }
  return s;
}

export class Steps {
  constructor(
    readonly d: SequenceDeps,
    readonly s: SequenceState,
  ) {}

  now(): number {
    return this.d.clock.now();
  }

  record(type: string, extra: Record<string, unknown> = {}): void {
    const record = { seq: this.s.seq, type, at: this.now(), ...extra };
    this.d.journal.append(record);
    this.d.emit({ type: 'journal', record });
  }

  private answered(op: string, kind: string, code: string | undefined, paid: boolean | undefined, state?: string): void {
    if (paid) this.s.sawPaid = true;
    this.record('answer', { op, kind, ...(code ? { code } : {}), ...(state ? { state } : {}), ...(paid !== undefined ? { paid } : {}) });
    this.d.emit({ type: 'answer', op, kind, code });
  }

  async pay(): Promise<PayAnswer> {
    this.record('send', { op: 'pay' });
    this.s.paySent = true;
    // Only a pay sequence pays, and its begin record carries what to pay (client.ts pay()).
    if (!this.s.pay) throw new Error(`sequence ${this.s.seq} (${this.s.kind}) has no payment to send`);
    const a = await this.d.wire.pay(this.s.pay);
    this.answered('pay', a.kind, 'code' in a ? a.code : undefined, a.kind === 'paid' ? true : undefined);
    return a;
  }

  async query(): Promise<QueryAnswer> {
    this.record('send', { op: 'query' });
    const q = await this.d.wire.query(this.s.outTradeNo);
    if (q.kind === 'state')
      this.answered('query', q.kind, undefined, q.state === 'SUCCESS' || q.state === 'REFUND' || q.paid === true ? true : undefined, q.state);
    else this.answered('query', q.kind, 'code' in q ? q.code : undefined, undefined);
    return q;
  }

  async cancel(op: 'reverse' | 'close'): Promise<CancelAnswer> {
    const name = this.d.wire.dialect === 'paycloud' ? 'void' : op;
    this.record('send', { op: name });
    const a = op === 'reverse' ? await this.d.wire.reverse(this.s.outTradeNo) : await this.d.wire.close(this.s.outTradeNo);
    this.answered(name, a.kind, 'code' in a ? a.code : undefined, undefined);
    return a;
  }

  enterCancelling(): void {
    if (this.s.phase === 'cancelling') return;
    this.s.phase = 'cancelling';
    this.record('phase', { phase: 'cancelling' });
  }

  /** Money moved before the cancellation if a verified answer said so: the order's own view, else what we saw. */
  moneyMoved(viewSays: boolean | undefined): MoneyMoved {
    if (viewSays !== undefined) return viewSays || this.s.sawPaid;
    return this.s.sawPaid ? true : 'unknown';
  }

  finish(outcome: Outcome): Outcome {
    this.s.done = outcome;
    this.record('done', { outcome });
    return outcome;
  }

  paid(transactionId?: string): Outcome {
    return this.finish({
      status: 'paid',
      out_trade_no: this.s.outTradeNo,
      ...(this.s.pay ? { amount: this.s.pay.amount } : {}),
      ...(transactionId ? { transaction_id: transactionId } : {}),
    });
  }

  cancelled(how: 'declined' | 'cancelled' | 'closed' | 'not_found', moneyMoved: MoneyMoved, code?: string): Outcome {
    const refunded = moneyMoved === true ? (this.s.pay?.amount ?? 0) : 0;
    return this.finish({ status: 'cancelled', out_trade_no: this.s.outTradeNo, how, money_moved: moneyMoved, refunded, ...(code ? { code } : {}) });
  }

  /** Past the caller's deadline: nothing final; the journal keeps the sequence for `recover()`. */
  unknown(reason: string): Outcome {
    return { status: 'unknown', out_trade_no: this.s.outTradeNo, reason };
  }

  deadlinePassed(): boolean {
    return this.now() >= this.s.deadlineAt;
  }

  async sleepUntil(t: number): Promise<void> {
    const ms = t - this.now();
    if (ms > 0) await this.d.clock.sleep(ms);
  }
}
