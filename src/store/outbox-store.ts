/** The notification outbox: claimed with leases (safe with several processes), never held across a network call. */
import type { OutboxEvent } from '../core/ports.ts';
import { LATEST_NOW, MERCHANT_NOW } from './clock-bounds.ts';
import type { Database } from './database.ts';

/** A queued notification (the core's OutboxEvent, `dueAt` = business time of the next attempt) and its delivery state. */
export interface OutboxRow extends OutboxEvent {
  readonly id: number;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly payload: string | null;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly at: number;
  readonly wallAt: number;
  readonly statusCode: number | null;
  readonly response: string | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly acknowledged: boolean;
}

/** What happens to the event after an attempt. */
export type NextStep = { status: 'delivered'; at: number } | { status: 'failed' } | { status: 'pending'; dueAt: number };

const rowOf = (r: Record<string, unknown>): OutboxRow => ({
  id: Number(r.id),
  mchid: String(r.mchid),
  orderId: String(r.order_id),
  refundId: r.refund_id === null ? null : String(r.refund_id),
  kind: r.kind as OutboxRow['kind'],
  protocol: String(r.protocol),
  url: String(r.url),
  dueAt: Number(r.due_at),
  status: r.status as OutboxRow['status'],
  attempts: Number(r.attempts),
  payload: r.payload === null ? null : String(r.payload),
  createdAt: Number(r.created_at),
  deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
});

const attemptOf = (r: Record<string, unknown>): AttemptRecord => ({
  attempt: Number(r.attempt),
  at: Number(r.at),
  wallAt: Number(r.wall_at),
  statusCode: r.status_code === null ? null : Number(r.status_code),
  response: r.response === null ? null : String(r.response),
  error: r.error === null ? null : String(r.error),
  durationMs: Number(r.duration_ms),
  acknowledged: Boolean(r.acknowledged),
});

/** How many events of each merchant the claimer already has in flight, and the most it may have per merchant. */
export interface ClaimFairness {
  readonly perMerchant: number;
  readonly inFlight: ReadonlyMap<string, number>;
}

const NO_FAIRNESS: ClaimFairness = { perMerchant: 2 ** 31 - 1, inFlight: new Map() };

/**
 * Due pending events, ranked per merchant (oldest first, after what the caller already has in flight for it), and
 * locked; see `claimDue`. The second bound on `due_at` says for the latest clock of all what the first says for
 * each merchant's, in a form an index range of `outbox_pending` serves: while a receiver is down, its events wait
 * out their back-off as pending rows, and the worker claims twice a second — without it each claim read every
 * pending event, due or not (18–31 ms with 100,000 waiting, 1.5 ms with the bound at 400,000;
 * bench/results/2026-12-05-notes.md).
 */
export const CLAIM_DUE = `WITH due AS (
     SELECT o.id, o.due_at, row_number() OVER (PARTITION BY o.mchid ORDER BY o.due_at, o.id) + COALESCE(b.n, 0) AS rank
     FROM outbox o JOIN merchants m ON m.mchid = o.mchid
     LEFT JOIN unnest($4::text[], $5::int[]) AS b(mchid, n) ON b.mchid = o.mchid
     WHERE o.status = 'pending' AND o.due_at <= ${MERCHANT_NOW} AND (o.lease_until IS NULL OR o.lease_until < $1)
       AND o.due_at <= ${LATEST_NOW}
   ), picked AS (
     SELECT id FROM due WHERE rank <= $3 ORDER BY rank, due_at, id LIMIT $2
   )
   SELECT o.id FROM outbox o
   WHERE o.id IN (SELECT id FROM picked) AND o.status = 'pending' AND (o.lease_until IS NULL OR o.lease_until < $1)
   FOR UPDATE OF o SKIP LOCKED`;

export function outboxStore(db: Database) {
  return {
    /**
     * For /metrics: pending events and how long the oldest due one (on its merchant's clock) has waited, in ms.
     * Pending rows only, through the partial index: delivered rows pile up forever and are never scanned.
     */
    async backlog(wallNow: number): Promise<{ pending: number; oldestDueAgeMs: number }> {
      const { rows } = await db.query<{ pending: number; oldest: number | null }>(
        `SELECT count(*)::int AS pending, max(${MERCHANT_NOW} - o.due_at) FILTER (WHERE o.due_at <= ${MERCHANT_NOW}) AS oldest
           FROM outbox o JOIN merchants m ON m.mchid = o.mchid WHERE o.status = 'pending'`,
        [wallNow],
      );
      return { pending: Number(rows[0]?.pending ?? 0), oldestDueAgeMs: Number(rows[0]?.oldest ?? 0) };
    },
    /**
     * Leases up to `limit` due events (due on their merchant's clock), fairly: at most `perMerchant` minus what the
     * caller already has in flight for a merchant, taken round-robin across merchants (each merchant's oldest
     * first), so one merchant's backlog cannot fill the batch. A crashed holder's lease simply expires.
     */
    async claimDue(wallNow: number, leaseMs: number, limit: number, fairness: ClaimFairness = NO_FAIRNESS): Promise<OutboxRow[]> {
      const busy = [...fairness.inFlight.entries()];
      return db.transaction(async (c) => {
        // Window functions cannot take row locks: rank in a CTE, then lock; the outer WHERE is re-checked on the
        // latest row version, so a row another process leased meanwhile is skipped, not leased twice.
        const { rows } = await c.query(CLAIM_DUE, [wallNow, limit, fairness.perMerchant, busy.map(([m]) => m), busy.map(([, n]) => n)]);
        if (rows.length === 0) return [];
        const ids = rows.map((r) => Number(r.id));
        const claimed = await c.query('UPDATE outbox SET lease_until = $1 WHERE id = ANY($2::bigint[]) RETURNING *', [wallNow + leaseMs, ids]);
        return claimed.rows.map(rowOf).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
      });
    },

    async savePayload(id: number, payload: string): Promise<void> {
      await db.query('UPDATE outbox SET payload = $2 WHERE id = $1 AND payload IS NULL', [id, payload]);
    },

    /** Records one attempt and the event's next step together. */
    async recordAttempt(id: number, attempt: AttemptRecord, next: NextStep): Promise<void> {
      await db.transaction(async (c) => {
        await c.query(
          `INSERT INTO notification_attempts (outbox_id, attempt, at, wall_at, status_code, response, error, duration_ms, acknowledged)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [id, attempt.attempt, attempt.at, attempt.wallAt, attempt.statusCode, attempt.response, attempt.error, attempt.durationMs, attempt.acknowledged],
        );
        if (next.status === 'delivered') {
          await c.query(`UPDATE outbox SET status = 'delivered', attempts = $2, delivered_at = $3, lease_until = NULL WHERE id = $1`, [
            id,
            attempt.attempt,
            next.at,
          ]);
        } else if (next.status === 'failed') {
          await c.query(`UPDATE outbox SET status = 'failed', attempts = $2, lease_until = NULL WHERE id = $1`, [id, attempt.attempt]);
        } else {
          await c.query(`UPDATE outbox SET attempts = $2, due_at = $3, lease_until = NULL WHERE id = $1`, [id, attempt.attempt, next.dueAt]);
        }
      });
    },

    async listForMerchant(mchid: string, limit = 200): Promise<(OutboxRow & { attemptLog: AttemptRecord[] })[]> {
      const { rows } = await db.query('SELECT * FROM outbox WHERE mchid = $1 ORDER BY id DESC LIMIT $2', [mchid, limit]);
      const events = rows.map(rowOf);
      if (events.length === 0) return [];
      const attempts = await db.query('SELECT * FROM notification_attempts WHERE outbox_id = ANY($1::bigint[]) ORDER BY outbox_id, attempt', [
        events.map((e) => e.id),
      ]);
      return events.map((e) => ({
        ...e,
        attemptLog: attempts.rows.filter((a) => Number(a.outbox_id) === e.id).map(attemptOf),
      }));
    },

    /** Sends the event once more now (business time `dueAt`), whatever its status. */
    async redeliver(mchid: string, id: number, dueAt: number): Promise<boolean> {
      const { rows } = await db.query(`UPDATE outbox SET status = 'pending', due_at = $3, lease_until = NULL WHERE id = $2 AND mchid = $1 RETURNING id`, [
        mchid,
        id,
        dueAt,
      ]);
      return rows.length === 1;
    },
  };
}

export type OutboxStore = ReturnType<typeof outboxStore>;
