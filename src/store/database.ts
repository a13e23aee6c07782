import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pipelinedScope, type Send } from './pipelined-scope.ts';
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
  readonly max?: number;
}

/**
 * The PostgreSQL server through node-postgres in pipeline mode: a client writes each query (Parse/Bind/Execute/
 * Sync, unnamed statement, values as bind parameters) as soon as it is issued, without waiting for the answers
 * to the ones before. Unnamed statements keep it working behind PgBouncer in transaction pooling mode.
 */
export function openPostgres(opts: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 20,
    types: pgTypes,
    pipeline: true,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  pool.on('error', () => undefined); // an idle client's connection dropped; the pool replaces it
  const sendOn = (connection: pg.PoolClient): Send => ({
    query: (sql, params) => connection.query(sql, params as unknown[]),
    exec: async (sql) => { await connection.query(sql); },
  });
  return {
    kind: 'postgres',
    query: (sql, params) => pool.query(sql, params as unknown[]) as never,
    exec: async (sql) => { await pool.query(sql); },
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
          await scope.rollback().catch((e: Error) => { broken = e; });
          const err = scope.failure()?.error ?? thrown; // a failed write wins: it is why the rest failed
          const code = (err as { code?: string }).code;
          if (!broken && code && RETRYABLE.has(code) && attempt < 5) continue;
          throw err;
        } finally {
          connection.release(broken);
        }
      }
    },
    async session(fn) {
      const connection = await pool.connect();
      const scope = pipelinedScope(sendOn(connection), 'session');
      try {
        return await scope.settleAfter(fn(scope.client));
      } finally {
        connection.release();
      }
    },
    poolStats: () => ({ max: pool.options.max ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/** Embedded PostgreSQL (WASM) persisted in `dataDir`, or in memory when dataDir is undefined. One connection. */
export async function openPglite(dataDir?: string): Promise<Database> {
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  // PGlite runs each query under one FIFO mutex: statements issued without waiting still run in issue order.
  const sendOn = (q: Pick<PGlite, 'query' | 'exec'>): Send => ({
    query: async (sql, params) => ({ rows: (await q.query<Record<string, unknown>>(sql, params as unknown[])).rows }),
    exec: async (sql) => { await q.exec(sql); },
  });
  return {
    kind: 'pglite',
    query: (sql, params) => db.query(sql, params as unknown[]) as never,
    exec: async (sql) => { await db.exec(sql); },
    // PGlite sends BEGIN and COMMIT (or ROLLBACK) itself; the scope only waits for its writes before COMMIT.
    transaction: (fn) => db.transaction((tx) => {
      const scope = pipelinedScope(sendOn(tx as never), 'session');
      return scope.settleAfter(fn(scope.client));
    }),
    session(fn) {
      const scope = pipelinedScope(sendOn(db), 'session');
      return scope.settleAfter(fn(scope.client));
    },
    poolStats: () => null,
    close: () => db.close(),
  };
}
