import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { batchText, resultsOf, roundTripSaver, settleAfter } from './round-trips.ts';

export interface Statement {
  readonly sql: string;
  readonly params?: readonly unknown[];
}

/** Checks the rows of a held-back write once they arrive; throwing fails (and rolls back) the transaction. */
export type RowCheck = (rows: readonly Record<string, unknown>[]) => void;

/** The one SQL surface the store uses: node-postgres and PGlite both speak it. */
export interface SqlClient {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /**
   * A statement whose result nobody reads. Inside a PostgreSQL-server transaction it is held back and sent with
   * the transaction's next round trip (or its COMMIT); errors surface there and roll the whole transaction back.
   */
  write(sql: string, params?: readonly unknown[], check?: RowCheck): Promise<void>;
  /** Several statements in one round trip where the connection allows it; one result per statement, in order. */
  queryAll(statements: readonly Statement[]): Promise<{ rows: Record<string, unknown>[] }[]>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends SqlClient {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction (READ COMMITTED; row locks serialise work on one order). */
  transaction<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs fn on one connection without a transaction: held-back writes travel with the next statement (each round
   * trip is atomic on its own) and are sent at the end whatever fn did; a failed check there wins over fn's error.
   */
  session<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /** Connection pool use (PostgreSQL server); null for PGlite, which is one in-process connection. */
  poolStats(): { max: number; total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

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
  /** Schema to work in (tests use one per run). */
  readonly schema?: string;
  readonly max?: number;
}

/** `write` where nothing is held back: the statement runs now and its rows are checked at once. */
function writeThrough(query: (sql: string, params?: readonly unknown[]) => Promise<{ rows: Record<string, unknown>[] }>): SqlClient['write'] {
  return async (sql, params, check) => {
    const { rows } = await query(sql, params); // before check?.(…), which would skip evaluating its argument
    check?.(rows);
  };
}

export function openPostgres(opts: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 20,
    types: pgTypes,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  pool.on('error', () => undefined); // an idle client's connection dropped; the pool replaces it
  return {
    kind: 'postgres',
    query: (sql, params) => pool.query(sql, params as unknown[]) as never,
    write: writeThrough((sql, params) => pool.query(sql, params as unknown[])),
    // Outside a transaction a multi-statement simple query is still atomic: one implicit transaction, one snapshot.
    queryAll: async (statements) => resultsOf(await pool.query(batchText(statements).text)),
    exec: async (sql) => { await pool.query(sql); },
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        const tx = await roundTripSaver(client, 'transaction');
        try {
          const result = await fn(tx.client);
          await tx.commit();
          return result;
        } catch (err) {
          await tx.rollback().catch(() => undefined);
          const code = (err as { code?: string }).code;
          if (code && RETRYABLE.has(code) && attempt < 5) continue;
          throw err;
        } finally {
          client.release();
        }
      }
    },
    async session(fn) {
      const client = await pool.connect();
      const session = await roundTripSaver(client, 'implicit');
      try {
        return await settleAfter(fn(session.client), () => session.commit());
      } finally {
        client.release();
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
  // In-process: a round trip costs nothing to save, so statements simply run one after another.
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): SqlClient => {
    const query = async (sql: string, params?: readonly unknown[]) => ({ rows: (await q.query(sql, params as unknown[])).rows as never[] });
    return {
      query,
      write: writeThrough(query),
      async queryAll(statements) {
        const results = [];
        for (const s of statements) results.push(await query(s.sql, s.params));
        return results;
      },
      exec: async (sql) => { await q.exec(sql); },
    };
  };
  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx as never))),
    session: (fn) => fn(wrap(db)),
    poolStats: () => null,
    close: () => db.close(),
  };
}
