/**
 * Shared transactions: the order store's units of work (a reverse, a payment, a create …) that start in the same
 * turn of the event loop, or while every connection is busy, run in one database transaction on one connection.
 * Their statements travel together (one socket write and one round trip for all of their first statements, one
 * for their writes and the COMMIT), and PostgreSQL's cost per transaction — BEGIN, COMMIT with its WAL flush, a
 * wake-up of the backend per round trip — and the driver's cost per round trip are divided among them.
 *
 * What keeps each unit's outcome the one it would have had alone (some serial order of the units):
 * - **A row changed by one unit is no other unit's.** A unit claims the rows it changes (`claimRow`: the order it
 *   locks or creates, the fault definitions it locks). Row locks do not separate units of one transaction, so a
 *   row claimed twice fails the second claimant (`SharedRowError`), and both run again, each in a transaction of
 *   its own.
 * - **All or nothing.** COMMIT is sent only when every unit has finished without failure. Otherwise the
 *   transaction rolls back, and every unit runs again alone (the solo transaction, with its retries) — except one
 *   whose failure was its own (a refusal, a replayed nonce, a fault of the fault lab): it worked on rows no other
 *   unit changed and, alone, would have been rolled back the same way, so its answer stands.
 * - **After COMMIT is sent**, a failure the server reports (the transaction rolled back) sends every unit to run
 *   again alone; a lost connection is every unit's failure, as it would be alone (the outcome is unknown).
 * Reads share too (`read`: a query and its nonce): their statements would each have committed on their own, so
 * COMMIT follows their first statements in the same write (one round trip and one WAL flush for all, where a read
 * alone is one round trip without BEGIN and COMMIT), what a read issues after its first answer runs on its own
 * after COMMIT, and a read's own failure does not undo the others (its nonce is kept, as alone). Reads and changes
 * never share one transaction.
 * Nothing in a unit may hold the transaction on anything but the database (no network call, no timer): the
 * slowest unit sets when all of them commit.
 *
 * Written here rather than taken from a library: node-postgres has no notion of several callers sharing one
 * transaction, and the rules above are the store's (which rows conflict, which failures stand).
 */
import { protocol } from '@electric-sql/pglite';
import pg from 'pg';
import { pipelinedScope, type Send } from './pipelined-scope.ts';
import type { SharedTransactionFigures, SqlClient } from './sql-client.ts';
import { statementBatch } from './statement-batch.ts';

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

/** `change`: a transaction of the order store; `read`: statements that would each commit on their own (a session). */
export type UnitKind = 'change' | 'read';

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
  /** The unit's work alone: a transaction of its own (with the store's retries), or a session for a read. */
  alone<T>(kind: UnitKind, work: Work<T>): Promise<T>;
}

/**
 * The server no longer has a statement the driver prepared on this connection (a `DEALLOCATE ALL` or `DISCARD ALL`
 * behind its back, a pooler switching server connections): the connection is discarded and, in a transaction
 * (which then failed as a whole), the work is run again on a fresh one.
 */
export const LOST_PREPARED_STATEMENT = '26000';
/**
 * An error the server reported (rather than a broken connection, or the unit's own refusal): node-postgres's class
 * from a server, PGlite's protocol's from the embedded database (its connection hands node-postgres its own errors).
 */
export const fromServer = (error: unknown) => error instanceof pg.DatabaseError || error instanceof protocol.messages.DatabaseError;
/** A statement the connection had prepared is gone from the server: the connection must not be used again. */
const lostPreparedStatement = (errors: readonly unknown[]) =>
  errors.find((e) => (e as { code?: string } | null)?.code === LOST_PREPARED_STATEMENT) as Error | undefined;

export function sharedTransactions(o: SharedTransactionOptions) {
  const counted = { transactions: 0, units: 0, reruns: 0 };
  /** Per kind, the transaction still admitting units: until it has a connection and the event loop has turned. */
  const forming: Record<UnitKind, Unit[] | null> = { change: null, read: null };

  function form(kind: UnitKind): Unit[] {
    const units: Unit[] = [];
    const closeAdmission = () => {
      if (forming[kind] === units) forming[kind] = null;
    };
    // setImmediate: the requests read in the same poll phase of the event loop have all started their work.
    Promise.all([o.connect(), new Promise<void>((resolve) => setImmediate(resolve))]).then(
      ([lease]) => {
        closeAdmission();
        let released = false;
        const release = (broken?: Error) => {
          if (!released) lease.release(broken);
          released = true;
        };
        run(kind, units, lease.send, release).catch((err: Error) => {
          release(err);
          for (const unit of units) unit.reject(err); // no effect on a unit already answered
        });
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

  /** A failure that is the unit's own (a refusal …), not its neighbours' nor the server's: its answer stands. */
  const ownFailure = (x: Outcome) => 'error' in x && !(x.error instanceof SharedRowError || fromServer(x.error));

  function again(kind: UnitKind, unit: Unit) {
    counted.reruns++;
    o.alone(kind, unit.work).then(unit.resolve, unit.reject);
  }

  async function run(kind: UnitKind, units: Unit[], send: Send, release: (broken?: Error) => void): Promise<void> {
    const [first] = units;
    if (kind === 'change') return changeTogether(units, send, release);
    if (first && units.length === 1) return readAlone(first, send, release);
    return readTogether(units, send, release);
  }

  /** Counts the shared transaction and sends its BEGIN. */
  function begin(units: Unit[], send: Send): Promise<void> {
    counted.transactions++;
    counted.units += units.length;
    // Handled at once: a BEGIN that fails (a broken connection) must not be an unhandled rejection while the units run.
    const begun = send.query('BEGIN').then(() => undefined);
    begun.catch(() => undefined);
    return begun;
  }

  /**
   * COMMIT or a statement before it failed. One the server reports rolled everything back: all run again alone. A
   * broken connection: the outcome is unknown, as it would be for a unit alone.
   */
  function afterFailure(kind: UnitKind, outcomes: Outcome[], error: Error, release: (broken?: Error) => void) {
    release(fromServer(error) && !lostPreparedStatement([error]) ? undefined : error);
    for (const x of outcomes) fromServer(error) ? again(kind, x.unit) : x.unit.reject(error);
  }

  /** Changes that start together: COMMIT only if every unit succeeded, else ROLLBACK and the others alone. */
  async function changeTogether(units: Unit[], send: Send, release: (broken?: Error) => void): Promise<void> {
    const batch = statementBatch(send); // first: its first sending is due before the socket's uncorking after BEGIN
    const begun = begin(units, send);
    const claims = new Map<string, Unit>();
    const outcomes = await Promise.all(units.map((unit) => attempt(unit, batch.sendFor(), claims)));
    batch.flush(); // the writes the units issued last go before COMMIT or ROLLBACK
    if (!outcomes.some((x) => 'error' in x)) {
      const committed = send.query('COMMIT').then(() => undefined);
      const answers = await Promise.allSettled([begun, ...outcomes.map((x) => x.scope.judged()), committed]);
      const refused = answers.find((a) => a.status === 'rejected');
      if (!refused) {
        release();
        for (const x of outcomes) 'value' in x ? x.unit.resolve(x.value) : x.unit.reject(x.error);
        return;
      }
      // A write failed (COMMIT then answered ROLLBACK) or COMMIT itself was refused: nothing was kept.
      return afterFailure('change', outcomes, (refused as PromiseRejectedResult).reason as Error, release);
    }
    const rolledBack = send.query('ROLLBACK').then(
      () => undefined,
      (e: Error) => e,
    );
    await Promise.allSettled([begun, ...outcomes.map((x) => x.scope.judged())]);
    release((await rolledBack) ?? lostPreparedStatement(outcomes.map((x) => ('error' in x ? x.error : null))));
    for (const x of outcomes) ownFailure(x) ? x.unit.reject((x as { error: unknown }).error) : again('change', x.unit);
  }

  /**
   * Reads that start together: BEGIN, their first statements and COMMIT leave in one write (one round trip, one
   * WAL flush for their nonces). What a read issues after its first answers runs after COMMIT, on its own, as it
   * would alone. A statement the server refused before COMMIT aborted the transaction (COMMIT then answers
   * ROLLBACK, nothing was kept): the reads run again alone, but for one whose failure was its own; so do they all
   * when the server refuses COMMIT itself.
   */
  async function readTogether(units: Unit[], send: Send, release: (broken?: Error) => void): Promise<void> {
    const begun = begin(units, send);
    const claims = new Map<string, Unit>(); // reads claim no rows
    const batch = statementBatch(send);
    const attempts = units.map((unit) => attempt(unit, batch.sendFor(), claims));
    batch.flush(); // their first statements, before COMMIT
    const committed = send.query('COMMIT').then((r) => (r as { command?: string }).command === 'COMMIT');
    committed.catch(() => undefined);
    const outcomes = await Promise.all(attempts);
    const answers = await Promise.allSettled([begun, committed, ...outcomes.map((x) => x.scope.judged())]);
    const refused = answers.slice(0, 2).find((a) => a.status === 'rejected');
    if (refused) return afterFailure('read', outcomes, (refused as PromiseRejectedResult).reason as Error, release);
    release(lostPreparedStatement(outcomes.map((x) => ('error' in x ? x.error : null))));
    const kept = (answers[1] as PromiseFulfilledResult<boolean>).value;
    for (const x of outcomes) {
      if (kept || ownFailure(x)) 'value' in x ? x.unit.resolve(x.value) : x.unit.reject(x.error);
      else again('read', x.unit);
    }
  }

  /** A read alone in its turn: its statements commit on their own, no BEGIN or COMMIT (one round trip). */
  async function readAlone(unit: Unit, send: Send, release: (broken?: Error) => void): Promise<void> {
    const scope = pipelinedScope(send, 'session');
    try {
      unit.resolve(await scope.settleAfter(unit.work(scope.client)));
      release();
    } catch (err) {
      release(lostPreparedStatement([err]));
      unit.reject(err);
    }
  }

  /** Runs work in the transaction of its kind being formed (a new one when there is none, or it is full). */
  function share<T>(kind: UnitKind, work: Work<T>): Promise<T> {
    if (o.maxUnits <= 1) return o.alone(kind, work);
    let units = forming[kind];
    if (!units || units.length >= o.maxUnits) units = forming[kind] = form(kind);
    return new Promise<T>((resolve, reject) => {
      units.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  return {
    figures: (): SharedTransactionFigures => ({ ...counted }),
    change: <T>(work: Work<T>) => share('change', work),
    read: <T>(work: Work<T>) => share('read', work),
  };
}
