/**
 * Statements on one server connection that spend as few round trips, and as little server work, as they can.
 *
 * Round trips: writes nobody reads the result of travel with the next statement (or with the COMMIT), and in a
 * transaction BEGIN travels with the first statement, as one simple-protocol query. Why: on a loaded machine
 * every round trip costs both processes a wake-up; an APIv3 reverse needs 2 instead of 8. Statements still run
 * in the order they were issued, so every read sees the writes before it.
 *
 * Server work: a statement with parameters is PREPAREd once per connection and then EXECUTEd with its values
 * as literals (sql-literal.ts), so PostgreSQL plans it once instead of on every request.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { RowCheck, SqlClient, Statement } from './database.ts';
import { inlineParams, sqlLiteral } from './sql-literal.ts';

/** Bounds the statements kept prepared on one connection (the store's own SQL is a few dozen texts). */
const MAX_PREPARED = 200;

interface PreparedSet {
  readonly names: Set<string>;
  /** A batch failed: some of its PREPAREs may have run (PREPARE outlives ROLLBACK). Re-read before the next use. */
  stale: boolean;
}

const preparedOn = new WeakMap<pg.PoolClient, PreparedSet>();
const statementNames = new Map<string, string>();

function nameOf(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) statementNames.set(sql, (name = `tg_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`));
  return name;
}

/**
 * One simple-protocol text for several statements, and where each statement's own result is among the results
 * the server returns (a PREPARE adds one). Without `prepared`, parameters are simply inlined.
 */
export function batchText(statements: readonly Statement[], prepared?: PreparedSet): { text: string; positions: number[] } {
  const parts: string[] = [];
  const positions: number[] = [];
  for (const s of statements) {
    const sql = s.sql.trim().replace(/;+$/, '');
    const params = s.params ?? [];
    const name = prepared && params.length > 0 ? nameOf(sql) : null;
    if (name && (prepared!.names.has(name) || prepared!.names.size < MAX_PREPARED)) {
      if (!prepared!.names.has(name)) {
        parts.push(`PREPARE ${name} AS ${sql}`);
        prepared!.names.add(name);
      }
      positions.push(parts.length);
      parts.push(`EXECUTE ${name}(${params.map(sqlLiteral).join(', ')})`);
    } else {
      positions.push(parts.length);
      parts.push(inlineParams(sql, params));
    }
  }
  return { text: parts.join(';\n'), positions };
}

export function resultsOf(res: pg.QueryResult | pg.QueryResult[]): { rows: Record<string, unknown>[] }[] {
  return Array.isArray(res) ? res : [res];
}

/** Runs `after` once `work` has settled, either way; an error from `after` wins (it is the more fundamental). */
export async function settleAfter<T>(work: Promise<T>, after: () => Promise<void>): Promise<T> {
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

async function preparedSetOf(connection: pg.PoolClient): Promise<PreparedSet> {
  let set = preparedOn.get(connection);
  if (!set) preparedOn.set(connection, (set = { names: new Set(), stale: false }));
  if (set.stale) {
    const { rows } = await connection.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    set.names.clear();
    for (const r of rows) set.names.add(r.name);
    set.stale = false;
  }
  return set;
}

/** A transaction (BEGIN … COMMIT) or a run of implicit, autocommitted round trips on one pooled connection. */
export async function roundTripSaver(connection: pg.PoolClient, mode: 'transaction' | 'implicit') {
  const prepared = await preparedSetOf(connection);
  let begun = mode === 'implicit';
  let pending: (Statement & { check?: RowCheck })[] = [];
  async function send(statements: readonly Statement[]) {
    const leading = [...(begun ? [] : [{ sql: 'BEGIN' }]), ...pending];
    begun = true;
    pending = [];
    const all = [...leading, ...statements];
    const { text, positions } = batchText(all, prepared);
    let results;
    try {
      results = resultsOf(await connection.query(text));
    } catch (err) {
      prepared.stale = true;
      throw err;
    }
    const own = positions.map((p) => results[p]!);
    leading.forEach((s, i) => ('check' in s ? s.check?.(own[i]!.rows) : undefined));
    return own.slice(leading.length);
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
