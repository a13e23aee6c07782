import { createHash } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { pipelinedScope, type Send } from './pipelined-scope.ts';
import { fromServer, LOST_PREPARED_STATEMENT, sharedTransactions } from './shared-transactions.ts';
import type { Database } from './sql-client.ts';

export type { Database, RowCheck, SqlClient, SqlRunner, Statement } from './sql-client.ts';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected

/** int8 and numeric columns come back as JS numbers: every amount and time is a safe integer by construction. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export interface PostgresOptions {
  readonly connectionString: string;
  /** Schema to work in (tests use one per run; not through PgBouncer, which refuses the `options` parameter). */
  readonly schema?: string;
  /** Connections kept at most (the pool's size); default DEFAULT_DATABASE_CONNECTIONS. */
  readonly max?: number;
  /**
   * Bound on getting a connection: from the pool when all are busy, or a new one from the server (a paused
   * server accepts the TCP connection but never answers the startup). Default DEFAULT_CONNECT_TIMEOUT_MS.
   */
  readonly connectTimeoutMs?: number;
  /**
   * Bound on each statement's answer, judged by the client (a stalled server cannot cancel anything): when it
   * passes, the connection is destroyed (pipelined statements behind it cannot be answered any more) and the
   * pool opens a new one. Default DEFAULT_QUERY_TIMEOUT_MS.
   */
  readonly queryTimeoutMs?: number;
  /** Told about connections the server dropped or that broke (the pool has already discarded them). */
  readonly onConnectionError?: (err: Error) => void;
  /**
   * Transactions' statements are prepared once per connection and then only bound and executed (default true):
   * parsing and planning is most of PostgreSQL's work for these short statements. false: unnamed statements only,
   * for PgBouncer before 1.21 in transaction pooling mode, which cannot keep a prepared statement for a client.
   */
  readonly preparedStatements?: boolean;
  /** Units of work of the order store in one database transaction at most (shared-transactions.ts); 1: each alone. */
  readonly sharedTransactionUnits?: number;
}

/** Distinct statement texts named at most; beyond, texts go unnamed (the texts are fixed, so this is a safety net). */
const MAX_NAMED_STATEMENTS = 1000;
const statementNames = new Map<string, string>();

/** The server-side name of a statement: one per SQL text, the same in every process and on every connection. */
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `tg_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * A process's connections at most. Few on purpose: PostgreSQL does the most work per CPU second with about twice
 * its cores in active connections, and with pipelining a transaction holds its connection for two round trips
 * only. On the bench's 2-core machine, 4 to 6 connections cost PostgreSQL a quarter less CPU per reverse than 20
 * (bench/results/2026-12-01-notes.md); requests beyond wait for a connection, bounded by the connect timeout.
 */
export const DEFAULT_DATABASE_CONNECTIONS = 5;
/** Units of work in one shared transaction at most (shared-transactions.ts; bench/results/2026-12-01-notes.md). */
export const DEFAULT_SHARED_TRANSACTION_UNITS = 16;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

/**
 * The PostgreSQL server through node-postgres in pipeline mode: a client writes each query (Parse/Bind/Execute/
 * Sync, values as bind parameters) as soon as it is issued, without waiting for the answers to the ones before.
 */
export function openPostgres(opts: PostgresOptions): Database {
  const config: pg.PoolConfig = {
    connectionString: opts.connectionString,
    types: pgTypes,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    query_timeout: opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    // A peer that vanished without a FIN/RST (host down, network cut) is noticed instead of waited on forever.
    keepAlive: true,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  };
  const pool = new pg.Pool({ ...config, max: opts.max ?? DEFAULT_DATABASE_CONNECTIONS, pipeline: true });
  return onPool(pool, 'postgres', opts);
}

export interface PgliteOptions extends Pick<PostgresOptions, 'sharedTransactionUnits'> {
  /** Where the database is kept; in memory when absent. */
  readonly dataDir?: string;
}

/**
 * PGlite's own start parameters, with shared buffers of 32 MB instead of initdb's 128 MB. The WASM backend takes its
 * shared memory from its own heap, writes all of it at start and never gives it back: at 128 MB a gateway on the
 * embedded database sat at ~390 MB RSS before its first request. The sandbox's working set is far smaller, and the
 * bench's PGlite rows (30,000–40,000 orders each) ran as fast with 32 MB (bench/results/2026-12-03-notes.md). A
 * start parameter, not postgresql.conf: PGlite's `postgresqlconf` option replaces the data directory's whole file.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

/**
 * Embedded PostgreSQL (WASM) persisted in `dataDir`, or in memory when dataDir is undefined: one in-process
 * connection, spoken to through node-postgres like the server (PGlite's own node-postgres connection), so that
 * both stores are one code path and PGlite too runs prepared statements and shared transactions. Against PGlite's
 * own `query` (which parses and plans every statement again, and enters the WASM module once per protocol message)
 * a loop of pgbench's transaction took 0.29–0.37 ms of CPU instead of 0.60–0.96 (bench/results/2026-12-03-notes.md).
 */
export async function openPglite(opts: PgliteOptions = {}): Promise<Database> {
  // The options object, not `new PGlite(dataDir, options)`: PGlite ignores the options when dataDir is undefined.
  const lite = new PGlite({ dataDir: opts.dataDir, startParams: PGLITE_START_PARAMS });
  await lite.waitReady;
  // One client for the store's life (no idle timeout) and no statement timeout: a client ended or destroyed would
  // leave PGlite's one backend as it was, inside the transaction it had begun.
  const pool = new pg.Pool({ ...createPgConfig(lite), max: 1, idleTimeoutMillis: 0, types: pgTypes, pipeline: true });
  const db = onPool(pool, 'pglite', opts);
  return {
    ...db,
    async close() {
      await db.close();
      await lite.close();
    },
  };
}

/**
 * PGlite's clients share its one backend and one in-process connection (its node-postgres adapter's). Discarding a
 * client, as pg-pool does with one released with an error, takes nothing with it: the backend stays inside whatever
 * transaction that client had begun, and the next client carries on in it, so that a later ROLLBACK undoes what that
 * client was told had been done (a clock advance, say, answered 200 and then gone); and the discarded client's end,
 * delivered through the shared connection, can fail the next client's first statement. So a PGlite client is kept
 * while it answers: one given up as broken has its transaction rolled back first, as the server does when a
 * connection drops; only one that no longer answers is discarded.
 */
function releasePglite(connection: pg.PoolClient, broken?: Error): void {
  if (!broken) {
    connection.release();
    return;
  }
  connection.query('ROLLBACK').then(
    () => connection.release(),
    (err: Error) => connection.release(err),
  );
}

/**
 * A statement on its own, in autocommit: one the database refused leaves its connection as it was, so the
 * connection is kept. (pg-pool's `pool.query` discards its client after any failed statement: a reconnect on the
 * server, and on PGlite a client given up while the backend goes on, see releasePglite.)
 */
async function statementAlone<T>(pool: pg.Pool, giveBack: GiveBack, run: (connection: pg.PoolClient) => Promise<T>): Promise<T> {
  const connection = await pool.connect();
  try {
    const result = await run(connection);
    giveBack(connection);
    return result;
  } catch (err) {
    giveBack(connection, fromServer(err) ? undefined : (err as Error));
    throw err;
  }
}

/** How a connection goes back to the pool: `broken` when it cannot be trusted to be outside a transaction. */
type GiveBack = (connection: pg.PoolClient, broken?: Error) => void;

type PoolOptions = Pick<PostgresOptions, 'onConnectionError' | 'preparedStatements' | 'sharedTransactionUnits'>;

/**
 * pg-pool listens for 'error' only on idle clients and removes its listener while a client is checked out: a
 * server killed under a running transaction then emits 'error' on a client nobody listens to, which Node turns
 * into an uncaught exception that ends the process. Every client gets a listener of its own for its whole life;
 * the failed statements still reject (the caller answers a system error) and pg-pool discards the client on
 * release because it is no longer queryable.
 */
function reportingErrors(pool: pg.Pool, reported: (err: Error) => void): pg.Pool {
  pool.on('connect', (client) => {
    client.on('error', (err: Error) => reported(err));
  });
  pool.on('error', () => undefined); // an idle client's connection dropped: reported above; the pool replaces it
  return pool;
}

function onPool(pool: pg.Pool, kind: Database['kind'], opts: PoolOptions): Database {
  const reported = opts.onConnectionError ?? (() => undefined);
  reportingErrors(pool, reported);
  // Only the statements of transactions and sessions (the operations' fixed texts) are prepared; the pool's own
  // queries (sandbox lists, the request log's batches on PGlite) are rarer and vary in shape, and stay unnamed. Unnamed
  // statements only (preparedStatements false) keep it working behind PgBouncer in transaction pooling mode.
  const prepared = opts.preparedStatements ?? true;
  const sendOn = (connection: pg.PoolClient): Send => {
    const corked = oneWritePerTick(connection);
    return {
      query: prepared
        ? (sql, params) => {
            corked();
            return connection.query({ text: sql, values: params as unknown[], name: statementName(sql) });
          }
        : (sql, params) => {
            corked();
            return connection.query(sql, params as unknown[]);
          },
      exec: async (sql) => {
        await connection.query(sql);
      },
    };
  };
  const giveBack: GiveBack = (connection, broken) => (kind === 'pglite' ? releasePglite(connection, broken) : connection.release(broken));
  const db: Database = {
    kind,
    query: (sql, params) => statementAlone(pool, giveBack, (c) => c.query(sql, params as unknown[])) as never,
    exec: async (sql) => {
      await db.query(sql);
    },
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const connection = await pool.connect();
        const scope = pipelinedScope(sendOn(connection), 'transaction');
        let broken: Error | undefined;
        try {
          const result = await fn(scope.client);
          await scope.commit();
          return result;
        } catch (thrown) {
          await scope.rollback().catch((e: Error) => {
            broken = e;
          });
          const err = scope.failure()?.error ?? thrown; // a failed write wins: it is why the rest failed
          const code = (err as { code?: string }).code;
          if (code === LOST_PREPARED_STATEMENT) broken ??= err as Error;
          if ((code === LOST_PREPARED_STATEMENT || (!broken && code && RETRYABLE.has(code))) && attempt < 5) continue;
          throw err;
        } finally {
          giveBack(connection, broken);
        }
      }
    },
    async session(fn) {
      const connection = await pool.connect();
      const scope = pipelinedScope(sendOn(connection), 'session');
      let broken: Error | undefined;
      try {
        return await scope.settleAfter(fn(scope.client));
      } catch (err) {
        if ((err as { code?: string }).code === LOST_PREPARED_STATEMENT) broken = err as Error;
        throw err;
      } finally {
        giveBack(connection, broken);
      }
    },
    sharedTransaction: (fn) => shared.change(fn),
    sharedRead: (fn) => shared.read(fn),
    poolStats: () => ({ max: pool.options.max ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    sharedFigures: () => shared.figures(),
    async close() {
      await pool.end();
    },
  };
  const shared = sharedTransactions({
    maxUnits: opts.sharedTransactionUnits ?? DEFAULT_SHARED_TRANSACTION_UNITS,
    async connect() {
      const connection = await pool.connect();
      return { send: sendOn(connection), release: (broken) => giveBack(connection, broken) };
    },
    alone: (kind, fn) => (kind === 'change' ? db.transaction(fn) : db.session(fn)),
  });
  return db;
}

/**
 * Statements issued in one tick (BEGIN, nonce, order FOR UPDATE; the writes and COMMIT) leave in one socket write
 * instead of one each: the socket is corked at the first and uncorked on the next tick. On loopback a write is
 * also where the server's process is woken, so each one saved is a wake-up saved.
 */
function oneWritePerTick(connection: pg.PoolClient): () => void {
  const stream = (connection as unknown as { connection: { stream: Partial<Record<'cork' | 'uncork', () => void>> } }).connection.stream;
  const { cork, uncork } = stream;
  if (!cork || !uncork) return () => undefined; // PGlite's connection: no socket, each message goes in at once
  let corked = false;
  const flush = () => {
    corked = false;
    uncork.call(stream);
  };
  return () => {
    if (corked) return;
    corked = true;
    cork.call(stream);
    process.nextTick(flush);
  };
}
