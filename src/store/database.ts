import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

/** The one SQL surface the store uses: node-postgres and PGlite both speak it. */
export interface SqlClient {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends SqlClient {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction (READ COMMITTED; row locks serialise work on one order). */
  transaction<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
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
    exec: async (sql) => { await pool.query(sql); },
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn({
            query: (sql, params) => client.query(sql, params as unknown[]) as never,
            exec: async (sql) => { await client.query(sql); },
          });
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          const code = (err as { code?: string }).code;
          if (code && RETRYABLE.has(code) && attempt < 5) continue;
          throw err;
        } finally {
          client.release();
        }
      }
    },
    close: () => pool.end(),
  };
}

/** Embedded PostgreSQL (WASM) persisted in `dataDir`, or in memory when dataDir is undefined. One connection. */
export async function openPglite(dataDir?: string): Promise<Database> {
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): SqlClient => ({
    query: async (sql, params) => {
      const res = await q.query(sql, params as unknown[]);
      return { rows: res.rows as never };
    },
    exec: async (sql) => { await q.exec(sql); },
  });
  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx as never))),
    close: () => db.close(),
  };
}
