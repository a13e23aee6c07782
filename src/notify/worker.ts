/**
 * Delivers outbox events to merchants' notify_url: leases due events, builds the request with the dialect's
 * encoder, POSTs it off the request path, records every attempt, and schedules the next one on the merchant's
 * clock. Safe in every gateway process at once; a restart loses nothing (leases expire, rows stay).
 */
import { businessNow } from '../core/merchant.ts';
import type { Clock, IdGenerator, MerchantLookup, Store } from '../core/ports.ts';
import type { OperationContext } from '../operations/context.ts';
import { lockCurrentOrder } from '../operations/locked-order.ts';
import type { NextStep, OutboxRow, OutboxStore } from '../store/outbox-store.ts';
import { addressPolicy, type AddressPolicy } from './address-policy.ts';
import { postNotification, type AttemptOutcome } from './delivery.ts';
import type { EncoderRegistry, NotificationSubject } from './encoder.ts';
import { deliverThroughFaults } from './notify-faults.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NotificationWorkerOptions {
  /** Orders, and the merchants whose keys sign the notifications. */
  readonly store: Store & Pick<MerchantLookup, 'getMerchant'>;
  readonly outbox: OutboxStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly encoders: EncoderRegistry;
  readonly intervalMs?: number;
  /** A merchant that has not answered within this (connect and answer) is a failed attempt (WeChat Pay: 5 s). */
  readonly timeoutMs?: number;
  /** Deliveries in flight at once in this process (a continuous pool: a finished one makes room for the next). */
  readonly maxInFlight?: number;
  /** Deliveries of one merchant in flight at once in this process: a merchant whose receiver hangs stalls only itself. */
  readonly perMerchant?: number;
  /** Which addresses notify_url may reach (default: the default policy, see address-policy.ts). */
  readonly policy?: AddressPolicy;
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
const DEFAULT_MAX_IN_FLIGHT = 32;
const DEFAULT_PER_MERCHANT = 4;
const RESPONSE_EXCERPT = 512;

async function subjectOf(o: NotificationWorkerOptions, row: OutboxRow): Promise<NotificationSubject> {
  const ctx: OperationContext = { store: o.store, clock: o.clock, ids: o.ids, protocol: 'system', requestId: null };
  // Under the order's lock, so that a refund due now is settled before it is reported.
  const current = await o.store.transaction(async (tx) => {
    const { order } = await lockCurrentOrder(tx, ctx, { mchid: row.mchid, orderId: row.orderId });
    const refund = row.refundId ? ((await tx.listRefunds(order.id)).find((r) => r.refundId === row.refundId) ?? null) : null;
    return { order, refund };
  });
  // The keys that sign the notification (the provider's, for a sub-merchant): read apart from the order's lock.
  const merchant = await o.store.getMerchant(row.mchid);
  if (!merchant) throw new Error(`merchant ${row.mchid} of outbox row ${row.id} does not exist`);
  const signer = merchant.kind === 'sub_merchant' && merchant.parentMchid ? ((await o.store.getMerchant(merchant.parentMchid)) ?? merchant) : merchant;
  return { kind: row.kind, ...current, merchant, signer };
}

/** The gateway stopped while an attempt was in flight: nothing is recorded, the lease expires, the row is retried. */
class Stopping extends Error {}

/** One attempt at one event. */
async function deliver(o: NotificationWorkerOptions, row: OutboxRow, policy: AddressPolicy, signal: AbortSignal): Promise<void> {
  const subject = await subjectOf(o, row);
  const encoder = o.encoders[subject.order.protocol];
  const attemptNo = row.attempts + 1;
  const started = o.clock.now();
  const businessAt = () => businessNow(subject.merchant, o.clock.now());
  if (!encoder) {
    await o.outbox.recordAttempt(
      row.id,
      {
        attempt: attemptNo,
        at: businessAt(),
        wallAt: started,
        statusCode: null,
        response: null,
        error: `no notification encoder for ${subject.order.protocol}`,
        durationMs: 0,
        acknowledged: false,
      },
      { status: 'failed' },
    );
    o.onAttempt?.({
      eventId: row.id,
      mchid: row.mchid,
      dialect: subject.order.protocol,
      attempt: attemptNo,
      result: 'undeliverable',
      statusCode: null,
      error: `no notification encoder for ${subject.order.protocol}`,
      next: 'failed',
    });
    return;
  }
  let body = row.payload;
  if (body === null) {
    body = await encoder.body(subject, started);
    await o.outbox.savePayload(row.id, body);
  }
  let outcome: AttemptOutcome;
  try {
    const headers = await encoder.headers(body, subject, o.clock.now());
    outcome = await deliverThroughFaults(o.store, subject, businessAt(), () =>
      postNotification(row.url, body, headers, { policy, timeoutMs: o.timeoutMs ?? 5000, signal }),
    );
  } catch (err) {
    outcome = { statusCode: null, response: null, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  if (signal.aborted) throw new Stopping();
  const { statusCode, error } = outcome;
  const response = outcome.response === null ? null : outcome.response.slice(0, RESPONSE_EXCERPT);
  // A redirect is never followed, and never an acknowledgement whatever the dialect says about its status.
  const redirected = statusCode !== null && statusCode >= 300 && statusCode < 400;
  const acknowledged = statusCode !== null && !redirected && encoder.acknowledged(statusCode, outcome.response ?? '');
  const at = businessAt();
  const delay = encoder.retryDelays[attemptNo - 1];
  const next: NextStep = acknowledged ? { status: 'delivered', at } : delay === undefined ? { status: 'failed' } : { status: 'pending', dueAt: at + delay };
  await o.outbox.recordAttempt(
    row.id,
    {
      attempt: attemptNo,
      at,
      wallAt: started,
      statusCode,
      response,
      error,
      durationMs: o.clock.now() - started,
      acknowledged,
    },
    next,
  );
  o.onAttempt?.({
    eventId: row.id,
    mchid: row.mchid,
    dialect: subject.order.protocol,
    attempt: attemptNo,
    result: acknowledged ? 'delivered' : statusCode === null ? 'unreachable' : 'rejected',
    statusCode,
    error,
    next: next.status,
  });
}

/**
 * A database outage mid-delivery (reading the order, or recording the attempt) would otherwise leave the row
 * leased for LEASE_MS after the database is back. The attempt is repeated every second or so while the lease
 * lasts, so the event goes out (again: deliveries are at least once) as soon as the database answers.
 */
async function deliverThroughOutage(o: NotificationWorkerOptions, row: OutboxRow, policy: AddressPolicy, signal: AbortSignal): Promise<void> {
  const leaseEnds = o.clock.now() + LEASE_MS - 10_000;
  for (let wait = 500; ; wait = Math.min(wait * 2, 4_000)) {
    try {
      return await deliver(o, row, policy, signal);
    } catch (err) {
      if (!isDatabaseUnavailable(err) || signal.aborted || o.clock.now() + wait > leaseEnds) throw err;
      await sleep(wait, undefined, { signal }).catch(() => {
        throw new Stopping();
      });
    }
  }
}

export interface NotificationWorker {
  /** Claims what is due now and waits for every delivery in flight. Returns how many events it claimed. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A continuous pool: every interval (and whenever a delivery finishes while more may be due) the worker claims as
 * many due events as it has room for, fairly across merchants (outbox-store.ts `claimDue`), and starts each at once.
 * The per-merchant cap is per process; every process applies its own.
 */
export function startNotificationWorker(o: NotificationWorkerOptions): NotificationWorker {
  const policy = o.policy ?? addressPolicy();
  const maxInFlight = o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const perMerchant = o.perMerchant ?? DEFAULT_PER_MERCHANT;
  const inFlight = new Map<string, number>();
  const deliveries = new Set<Promise<void>>();
  const stopping = new AbortController();
  let filling: Promise<number> | null = null;
  let moreMayBeDue = false;

  const start = (row: OutboxRow) => {
    inFlight.set(row.mchid, (inFlight.get(row.mchid) ?? 0) + 1);
    const delivery: Promise<void> = deliverThroughOutage(o, row, policy, stopping.signal)
      .catch((err) => {
        if (!(err instanceof Stopping)) o.onError?.(err);
      })
      .finally(() => {
        const left = (inFlight.get(row.mchid) ?? 1) - 1;
        if (left === 0) inFlight.delete(row.mchid);
        else inFlight.set(row.mchid, left);
        deliveries.delete(delivery);
        if (moreMayBeDue && !stopping.signal.aborted) void fill().catch((err) => o.onError?.(err));
      });
    deliveries.add(delivery);
  };

  const claim = async (): Promise<number> => {
    const room = maxInFlight - deliveries.size;
    if (room <= 0 || stopping.signal.aborted) {
      moreMayBeDue = true;
      return 0;
    }
    const rows = await o.outbox.claimDue(o.clock.now(), LEASE_MS, room, { perMerchant, inFlight });
    for (const row of rows) start(row);
    // Room ran out, or some merchant reached its cap: a finished delivery should look again at once.
    moreMayBeDue = rows.length === room || [...inFlight.values()].some((n) => n >= perMerchant);
    return rows.length;
  };
  /** One claim at a time in this process. */
  const fill = async (): Promise<number> => {
    while (filling) await filling.catch(() => 0);
    filling = claim().finally(() => {
      filling = null;
    });
    return filling;
  };

  const timer = setInterval(() => {
    if (!stopping.signal.aborted && !filling) fill().catch((err) => o.onError?.(err));
  }, o.intervalMs ?? 500);
  timer.unref();
  return {
    async tick() {
      const claimed = await fill();
      // What is in flight now, not what finished deliveries go on to claim (that could be a merchant's whole backlog).
      await Promise.all([...deliveries]);
      return claimed;
    },
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await filling?.catch(() => undefined);
      while (deliveries.size > 0) await Promise.all([...deliveries]);
    },
  };
}
