/**
 * Shared transactions: the order store's units of work (a reverse, a payment, a create …) that start in the same
 * turn of the event loop, or while every connection is busy, run in one database transaction on one connection.
 * Their statements travel together (one socket write and one round trip for all of their first statements, one
 * for their writes and the COMMIT), and PostgreSQL's cost per transaction — BEGIN, COMMIT with its WAL flush, a
 * wake-up of the backend per round trip — and the driver's cost per round trip are divided among them.
 *
 * What keeps each unit's outcome the one it would have had alone (some serial order of the units):
 * - **A row changed by one unit is no other unit's.** A unit claims the rows it changes (`claimRow`: the order it
 *   locks or creates). Row locks do not separate units of one transaction, so a row claimed twice fails the second
 *   claimant (`SharedRowError`), and both run again, each in a transaction of its own.
 * - **All or nothing.** COMMIT is sent only when every unit has finished without failure. Otherwise the
 *   transaction rolls back, and every unit runs again alone (the solo transaction, with its retries) — except one
 *   whose failure was its own (a refusal, a replayed nonce, a fault of the fault lab): it worked on rows no other
 *   unit changed and, alone, would have been rolled back the same way, so its answer stands.
 * - **After COMMIT is sent**, a failure the server reports (the transaction rolled back) sends every unit to run
 *   again alone; a lost connection is every unit's failure, as it would be alone (the outcome is unknown).
 * Nothing in a unit may hold the transaction on anything but the database (no network call, no timer): the
 * slowest unit sets when all of them commit.
 *
 * Written here rather than taken from a library: node-postgres has no notion of several callers sharing one
 * transaction, and the rules above are the store's (which rows conflict, which failures stand).
 */
import pg from 'pg';
import { pipelinedScope, type Send } from './pipelined-scope.ts';
import type { SharedTransactionFigures, SqlClient } from './sql-client.ts';

export type { SharedTransactionFigures } from './sql-client.ts';

/** A unit of a shared transaction changed a row another unit of it had claimed: both run again alone. */
export class SharedRowError extends Error {
  constructor(key: string) {
    super(`row ${key} is changed by another unit of the same shared transaction`);
    this.name = 'SharedRowError';
  }
}

/** A connection taken from the pool for one transaction. */
export interface Lease {
  readonly send: Send;
  /** Back to the pool; with an error, the connection is discarded instead. */
  release(broken?: Error): void;
}

type Work<T> = (client: SqlClient) => Promise<T>;

interface Unit {
  readonly work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { readonly unit: Unit; readonly scope: ReturnType<typeof pipelinedScope> } & ({ readonly value: unknown } | { readonly error: unknown });

export interface SharedTransactionOptions {
  /** Units of work in one transaction at most; 1: every unit alone. */
  readonly maxUnits: number;
  /** A connection for a new shared transaction. */
  connect(): Promise<Lease>;
  /** The unit's work in a transaction of its own (with the store's retries). */
  alone<T>(work: Work<T>): Promise<T>;
  /** Errors that the server reports (rather than a broken connection or the unit's own refusal). */
  isServerError?(error: unknown): boolean;
}

/**
 * The server no longer has a statement the driver prepared on this connection (a `DEALLOCATE ALL` or `DISCARD ALL`
 * behind its back, a pooler switching server connections): the connection is discarded and, in a transaction
 * (which then failed as a whole), the work is run again on a fresh one.
 */
export const LOST_PREPARED_STATEMENT = '26000';
const serverError = (error: unknown) => error instanceof pg.DatabaseError;

export function sharedTransactions(o: SharedTransactionOptions) {
  const counted = { transactions: 0, units: 0, reruns: 0 };
  const fromServer = o.isServerError ?? serverError;
  /** The transaction still admitting units: until it has a connection and the event loop has turned once. */
  let forming: Unit[] | null = null;

  function form(): Unit[] {
    const units: Unit[] = [];
    const closeAdmission = () => {
      if (forming === units) forming = null;
    };
    // setImmediate: the requests read in the same poll phase of the event loop have all started their work.
    Promise.all([o.connect(), new Promise<void>((resolve) => setImmediate(resolve))]).then(
      ([lease]) => {
        closeAdmission();
        void run(units, lease);
      },
      (err: unknown) => {
        closeAdmission();
        for (const unit of units) unit.reject(err);
      },
    );
    return units;
  }

  async function attempt(unit: Unit, send: Send, claims: Map<string, Unit>): Promise<Outcome> {
    const scope = pipelinedScope(send, 'session');
    const client: SqlClient = {
      ...scope.client,
      claimRow(table, id) {
        const key = `${table}/${id}`;
        const owner = claims.get(key);
        if (owner && owner !== unit) throw new SharedRowError(key);
        claims.set(key, unit);
      },
    };
    try {
      const value = await unit.work(client);
      await scope.ready();
      return { unit, scope, value };
    } catch (thrown) {
      return { unit, scope, error: scope.failure()?.error ?? thrown };
    }
  }

  function again(unit: Unit) {
    counted.reruns++;
    o.alone(unit.work).then(unit.resolve, unit.reject);
  }

  async function run(units: Unit[], lease: Lease): Promise<void> {
    counted.transactions++;
    counted.units += units.length;
    const { send } = lease;
    const begun = send.query('BEGIN').then(() => undefined);
    const claims = new Map<string, Unit>();
    const outcomes = await Promise.all(units.map((unit) => attempt(unit, send, claims)));
    if (outcomes.every((x) => 'value' in x)) {
      const committed = send.query('COMMIT').then(() => undefined);
      const answers = await Promise.allSettled([begun, ...outcomes.map((x) => x.scope.judged()), committed]);
      const refused = answers.find((a) => a.status === 'rejected');
      if (!refused) {
        lease.release();
        for (const x of outcomes) x.unit.resolve((x as { value: unknown }).value);
        return;
      }
      // A write failed (COMMIT then answered ROLLBACK) or COMMIT itself was refused: nothing was kept, all run
      // again. A broken connection: the outcome is unknown, as it would be for a unit alone.
      const error = refused.reason as Error;
      lease.release(fromServer(error) && !lostPreparedStatement([error]) ? undefined : error);
      for (const x of outcomes) fromServer(error) ? again(x.unit) : x.unit.reject(error);
      return;
    }

    const rolledBack = send.query('ROLLBACK').then(
      () => undefined,
      (e: Error) => e,
    );
    await Promise.allSettled([begun, ...outcomes.map((x) => x.scope.judged())]);
    const broken = await rolledBack;
    lease.release(broken ?? lostPreparedStatement(outcomes.map((x) => ('error' in x ? x.error : null))));
    for (const x of outcomes) {
      if ('error' in x && !(x.error instanceof SharedRowError || fromServer(x.error))) x.unit.reject(x.error);
      else again(x.unit);
    }
  }

  return {
    figures: (): SharedTransactionFigures => ({ ...counted }),
    /** Runs work in the transaction being formed (a new one when there is none, or it is full). */
    run<T>(work: Work<T>): Promise<T> {
      if (o.maxUnits <= 1) return o.alone(work);
      if (!forming || forming.length >= o.maxUnits) forming = form();
      const units = forming;
      return new Promise<T>((resolve, reject) => {
        units.push({ work, resolve: resolve as (value: unknown) => void, reject });
      });
    },
  };
}

/** A statement the connection had prepared is gone from the server: the connection must not be used again. */
function lostPreparedStatement(errors: readonly unknown[]): Error | undefined {
  return errors.find((e) => (e as { code?: string } | null)?.code === LOST_PREPARED_STATEMENT) as Error | undefined;
}
