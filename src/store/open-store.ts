import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensurePrivateDir, tightenTree } from '../lib/private-dir.ts';
import { openPglite, openPostgres, type Database } from './database.ts';
import { migrate } from './migrations.ts';
import { sqlStore, type SqlStore } from './sql-store.ts';
import { isDatabaseUnavailable } from './unavailable.ts';
import { initPgliteDataDir } from './pglite-initdb.ts';

export interface StoreOptions {
  /** A PostgreSQL server; when absent the embedded PGlite database in `dataDir` is used. */
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly schema?: string;
  /** Embedded database kept in memory only (tests). */
  readonly inMemory?: boolean;
  /** PostgreSQL: bounds on getting a connection and on each statement's answer (database.ts defaults). */
  readonly connectTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
  /** PostgreSQL: prepare transactions' statements once per connection (database.ts; default true). */
  readonly preparedStatements?: boolean;
  /** PostgreSQL: connections kept at most (database.ts DEFAULT_DATABASE_CONNECTIONS). */
  readonly connections?: number;
  /** Order operations in one database transaction at most (database.ts DEFAULT_SHARED_TRANSACTION_UNITS). */
  readonly sharedTransactions?: number;
  /**
   * PostgreSQL unreachable at startup: keep trying (back-off from 250 ms to 5 s) for this long; 0 fails at once.
   * Default: without limit.
   */
  readonly waitForDatabaseMs?: number;
  /** Told why startup is waiting, before each retry. */
  readonly onWaiting?: (err: Error, retryInMs: number) => void;
  /** Told about connections the server dropped or that broke while running. */
  readonly onConnectionError?: (err: Error) => void;
}

/** Startup gave up on an unreachable database (`--wait-for-database`); the message is one line for the operator. */
export class DatabaseUnreachable extends Error {}

/** Opens the database, brings the schema up to date, and returns the store. */
export async function openStore(opts: StoreOptions): Promise<SqlStore> {
  let db: Database;
  if (opts.databaseUrl) {
    db = await openPostgresWaiting(opts, opts.databaseUrl);
  } else if (opts.inMemory || !opts.dataDir) {
    db = await openPglite({ sharedTransactionUnits: opts.sharedTransactions });
  } else {
    const dir = join(opts.dataDir, 'pgdata');
    ensurePrivateDir(dir);
    await initPgliteDataDir(dir); // in a child process: see pglite-initdb.ts
    db = await openPglite({ dataDir: dir, sharedTransactionUnits: opts.sharedTransactions });
    tightenTree(dir); // PGlite sets the modes of the files it creates at first start itself (0666): see private-dir.ts
  }
  if (db.kind === 'pglite') await migrate(db);
  return sqlStore(db);
}

/** Connects and migrates, retrying with back-off while the server is unreachable (a restart, a failover). */
async function openPostgresWaiting(opts: StoreOptions, connectionString: string): Promise<Database> {
  const waitMs = opts.waitForDatabaseMs ?? Number.POSITIVE_INFINITY;
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    const db = openPostgres({
      connectionString,
      schema: opts.schema,
      connectTimeoutMs: opts.connectTimeoutMs,
      queryTimeoutMs: opts.queryTimeoutMs,
      preparedStatements: opts.preparedStatements,
      max: opts.connections,
      sharedTransactionUnits: opts.sharedTransactions,
      onConnectionError: opts.onConnectionError,
    });
    try {
      await migrate(db);
      return db;
    } catch (err) {
      await db.close().catch(() => undefined);
      if (!isDatabaseUnavailable(err)) throw err;
      const left = started + waitMs - Date.now();
      if (left <= 0) {
        const waited = waitMs === 0 ? 'not waiting (--wait-for-database 0)' : `gave up after ${Math.round(waitMs / 1000)} s (--wait-for-database)`;
        throw new DatabaseUnreachable(`database unreachable: ${(err as Error).message}; ${waited}`);
      }
      const retryIn = Math.min(delay, left);
      opts.onWaiting?.(err as Error, retryIn);
      await sleep(retryIn);
    }
  }
}
