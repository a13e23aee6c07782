import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { inlineParams } from './sql-literal.ts';

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
    write: async (sql, params, check) => {
      const { rows } = await pool.query(sql, params as unknown[]);
      check?.(rows);
    },
    // Outside a transaction a multi-statement simple query is still atomic: one implicit transaction, one snapshot.
    queryAll: async (statements) => resultsOf(await pool.query(simpleText(statements))),
    exec: async (sql) => { await pool.query(sql); },
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        const tx = roundTripSaver(client, 'transaction');
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
      const session = roundTripSaver(client, 'implicit');
      try {
        return await settleAfter(fn(session.client), () => session.commit());
      } finally {
        client.release();
      }
    },
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
      write: async (sql, params, check) => {
        const { rows } = await query(sql, params); // before check?.(…), which would skip evaluating its argument
        check?.(rows);
      },
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
    close: () => db.close(),
  };
}

const simpleText = (statements: readonly Statement[]) =>
  statements.map((s) => inlineParams(s.sql.trim().replace(/;+$/, ''), s.params ?? [])).join(';\n');

function resultsOf(res: pg.QueryResult | pg.QueryResult[]): { rows: Record<string, unknown>[] }[] {
  return Array.isArray(res) ? res : [res];
}

/** Runs `after` once `work` has settled, either way; an error from `after` wins (it is the more fundamental). */
async function settleAfter<T>(work: Promise<T>, after: () => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await work;
  } catch (err) {
    await after();
    throw err;
  }
  await after();
  return result;
}

/**
 * Statements on one server connection that spend as few round trips as their work allows: writes nobody reads
 * the result of travel with the next statement or with the COMMIT, and in a transaction BEGIN travels with the
 * first statement, as one simple-protocol query (parameters inlined as literals, sql-literal.ts). Why: on a
 * loaded machine every round trip costs both processes a wake-up; an APIv3 reverse needs 2 instead of 8.
 * Statements still run in the order they were issued, so every read sees the writes before it.
 */
function roundTripSaver(connection: pg.PoolClient, mode: 'transaction' | 'implicit') {
  let begun = mode === 'implicit';
  let pending: (Statement & { check?: RowCheck })[] = [];
  async function send(statements: readonly Statement[]) {
    const leading = [...(begun ? [] : [{ sql: 'BEGIN' }]), ...pending];
    begun = true;
    pending = [];
    if (leading.length === 0 && statements.length === 1) return [await connection.query(statements[0]!.sql, statements[0]!.params as unknown[])];
    const results = resultsOf(await connection.query(simpleText([...leading, ...statements])));
    leading.forEach((s, i) => ('check' in s ? s.check?.(results[i]!.rows) : undefined));
    return results.slice(leading.length);
  }
  const client: SqlClient = {
    query: async (sql, params) => (await send([{ sql, params }]))[0] as never,
    write: async (sql, params, check) => { pending.push({ sql, params, check }); },
    queryAll: (statements) => send(statements),
    exec: async (sql) => { await send([{ sql }]); },
  };
  return {
    client,
    /** Sends what is held back (and COMMIT, in a transaction). */
    async commit() {
      if (mode === 'implicit') {
        if (pending.length > 0) await send([{ sql: 'SELECT 1' }]);
        return;
      }
      // A checked write must be judged before COMMIT, not in the same round trip as it.
      if (pending.some((w) => w.check)) await send([{ sql: 'SELECT 1' }]);
      if (begun || pending.length > 0) await send([{ sql: 'COMMIT' }]);
    },
    async rollback() {
      pending = [];
      if (begun) await connection.query('ROLLBACK');
    },
  };
}
