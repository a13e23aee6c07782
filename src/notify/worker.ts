/**
 * Delivers outbox events to merchants' notify_url: leases due events, builds the request with the dialect's
 * encoder, POSTs it off the request path, records every attempt, and schedules the next one on the merchant's
 * clock. Safe in every gateway process at once; a restart loses nothing (leases expire, rows stay).
 */
import { businessNow } from '../core/merchant.ts';
import type { Clock, IdGenerator } from '../core/ports.ts';
import type { OperationContext } from '../operations/context.ts';
import { lockCurrentOrder } from '../operations/locked-order.ts';
import type { NextStep, OutboxRow, OutboxStore } from '../store/outbox-store.ts';
import type { SqlStore } from '../store/sql-store.ts';
import type { EncoderRegistry, NotificationSubject } from './encoder.ts';

export interface NotificationWorkerOptions {
  readonly store: SqlStore;
  readonly outbox: OutboxStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly encoders: EncoderRegistry;
  readonly intervalMs?: number;
  /** A merchant that has not answered within this is a failed attempt (WeChat Pay: 5 s). */
  readonly timeoutMs?: number;
  readonly batchSize?: number;
  readonly onError?: (err: unknown) => void;
  /** After every recorded attempt (metrics, and the warn line of a failed delivery). */
  readonly onAttempt?: (attempt: AttemptReport) => void;
}

/** One recorded attempt as operators see it: no body, no keys. */
export interface AttemptReport {
  readonly eventId: number;
  readonly mchid: string;
  readonly dialect: string;
  readonly attempt: number;
  /** delivered: acknowledged; rejected: the merchant answered otherwise; unreachable: no answer; undeliverable: no encoder. */
  readonly result: 'delivered' | 'rejected' | 'unreachable' | 'undeliverable';
  readonly statusCode: number | null;
  readonly error: string | null;
  /** The status the event is left in: retried later (pending), or given up (failed). */
  readonly next: NextStep['status'];
}

const LEASE_MS = 60_000;
const RESPONSE_EXCERPT = 512;

async function subjectOf(o: NotificationWorkerOptions, row: OutboxRow): Promise<NotificationSubject> {
  const ctx: OperationContext = { store: o.store, clock: o.clock, ids: o.ids, protocol: 'system', requestId: null };
  // Under the order's lock, so that a refund due now is settled before it is reported.
  const current = await o.store.transaction(async (tx) => {
    const { order } = await lockCurrentOrder(tx, ctx, { mchid: row.mchid, orderId: row.orderId });
    const refund = row.refundId ? (await tx.listRefunds(order.id)).find((r) => r.refundId === row.refundId) ?? null : null;
    return { order, refund };
  });
  // The keys that sign the notification (the provider's, for a sub-merchant): read apart from the order's lock.
  const merchant = await o.store.getMerchant(row.mchid);
  if (!merchant) throw new Error(`merchant ${row.mchid} of outbox row ${row.id} does not exist`);
  const signer = merchant.kind === 'sub_merchant' && merchant.parentMchid ? (await o.store.getMerchant(merchant.parentMchid)) ?? merchant : merchant;
  return { kind: row.kind, ...current, merchant, signer };
}

/** One attempt at one event. */
async function deliver(o: NotificationWorkerOptions, row: OutboxRow): Promise<void> {
  const subject = await subjectOf(o, row);
  const encoder = o.encoders[subject.order.protocol];
  const attemptNo = row.attempts + 1;
  const started = o.clock.now();
  const businessAt = () => businessNow(subject.merchant, o.clock.now());
  if (!encoder) {
    await o.outbox.recordAttempt(row.id, {
      attempt: attemptNo, at: businessAt(), wallAt: started, statusCode: null, response: null,
      error: `no notification encoder for ${subject.order.protocol}`, durationMs: 0, acknowledged: false,
    }, { status: 'failed' });
    o.onAttempt?.({
      eventId: row.id, mchid: row.mchid, dialect: subject.order.protocol, attempt: attemptNo, result: 'undeliverable',
      statusCode: null, error: `no notification encoder for ${subject.order.protocol}`, next: 'failed',
    });
    return;
  }
  let body = row.payload;
  if (body === null) {
    body = await encoder.body(subject, started);
    await o.outbox.savePayload(row.id, body);
  }
  let statusCode: number | null = null;
  let response: string | null = null;
  let error: string | null = null;
  try {
    const headers = await encoder.headers(body, subject, o.clock.now());
    const res = await fetch(row.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(o.timeoutMs ?? 5000) });
    statusCode = res.status;
    response = (await res.text()).slice(0, RESPONSE_EXCERPT);
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const acknowledged = statusCode !== null && encoder.acknowledged(statusCode, response ?? '');
  const at = businessAt();
  const delay = encoder.retryDelays[attemptNo - 1];
  const next: NextStep = acknowledged ? { status: 'delivered', at } : delay === undefined ? { status: 'failed' } : { status: 'pending', dueAt: at + delay };
  await o.outbox.recordAttempt(row.id, {
    attempt: attemptNo, at, wallAt: started, statusCode, response, error, durationMs: o.clock.now() - started, acknowledged,
  }, next);
  o.onAttempt?.({
    eventId: row.id, mchid: row.mchid, dialect: subject.order.protocol, attempt: attemptNo,
    result: acknowledged ? 'delivered' : statusCode === null ? 'unreachable' : 'rejected', statusCode, error, next: next.status,
  });
}

export interface NotificationWorker {
  /** One pass: claims and delivers what is due now. Returns how many events it attempted. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export function startNotificationWorker(o: NotificationWorkerOptions): NotificationWorker {
  let running: Promise<number> | null = null;
  let stopped = false;
  const tick = async (): Promise<number> => {
    const rows = await o.outbox.claimDue(o.clock.now(), LEASE_MS, o.batchSize ?? 20);
    await Promise.all(rows.map((row) => deliver(o, row).catch((err) => o.onError?.(err))));
    return rows.length;
  };
  const guardedTick = () => {
    if (running) return running;
    running = tick().finally(() => { running = null; });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) guardedTick().catch((err) => o.onError?.(err));
  }, o.intervalMs ?? 500);
  timer.unref();
  return {
    tick: guardedTick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
