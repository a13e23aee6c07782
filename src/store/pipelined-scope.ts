/**
 * The statements of one transaction or session on one connection, sent as they are issued. The driver pipelines
 * them (node-postgres in `pipeline: true` mode writes each query without waiting for the answers before it, to
 * the server or to PGlite's in-process connection), so statements issued together cost one round trip: an APIv3 reverse
 * is `BEGIN, nonce, order FOR UPDATE joined with its merchant` then `order + history + refund (one statement), COMMIT`.
 *
 * Why a little bookkeeping of our own on top: a write whose answer nobody waits for must still count. Its answer
 * is taken when it arrives; a failure (or rows failing the write's check) is kept, the scope's later queries throw
 * it, and the scope ends with it (a transaction rolled back). Answers arrive in the order the statements were
 * sent, so looking at the earlier writes once a query's answer is in costs no round trip. A check is judged on
 * the client, so COMMIT waits for every checked write's answer (in practice already in: a read followed it).
 */
import type { RowCheck, SqlClient } from './sql-client.ts';

type Rows = { rows: Record<string, unknown>[] };
/** What a statement answers: rows from `query`, nothing from `exec`. */
type Answer = Awaited<ReturnType<Send['query'] | Send['exec']>>;

/** How statements reach the connection (the driver does the pipelining). */
export interface Send {
  query(sql: string, params?: readonly unknown[]): Promise<Rows>;
  exec(sql: string): Promise<void>;
}

/**
 * `transaction`: the scope sends BEGIN with its first statement and ends with COMMIT or ROLLBACK. `session`:
 * statements run as they are (each commits on its own, or inside a transaction the driver opened itself).
 */
export function pipelinedScope(send: Send, mode: 'transaction' | 'session') {
  let begun = mode === 'session';
  let ended = false;
  let failure: { error: unknown } | null = null;
  /** One per write: settles once its answer is in (and checked); never rejects. */
  const writes: Promise<void>[] = [];
  const checked: Promise<void>[] = [];
  const fail = (error: unknown) => {
    failure ??= { error };
  };
  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };

  function track(answer: Promise<Answer>, check?: RowCheck) {
    const settled = answer.then((r) => check?.(r ? r.rows : [])).then(() => undefined, fail);
    writes.push(settled);
    if (check) checked.push(settled);
  }

  function issue<T extends Answer>(run: () => Promise<T>): Promise<T> {
    if (ended) throw new Error('statement issued after its transaction ended');
    if (!begun) {
      begun = true;
      track(send.query('BEGIN'));
    }
    return run();
  }

  /** Sends at once; resolves with the answer, or with an earlier write's failure when that came first. */
  async function answered<T extends Answer>(run: () => Promise<T>): Promise<T> {
    throwIfFailed();
    const before = writes.length;
    const outcome = await issue(run).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await Promise.all(writes.slice(0, before)); // answered before this statement: no extra round trip
    throwIfFailed();
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  const client: SqlClient = {
    query: (sql, params) => answered(() => send.query(sql, params)) as never,
    exec: (sql) => answered(() => send.exec(sql)),
    write(sql, params, check) {
      throwIfFailed();
      track(
        issue(() => send.query(sql, params)),
        check,
      );
    },
    claimRow: () => undefined, // a transaction of its own: nobody else works in it
    async queryAll(statements) {
      const answers = await Promise.allSettled(statements.map((s) => client.query(s.sql, s.params)));
      const refused = answers.find((a) => a.status === 'rejected');
      if (refused) throw refused.reason;
      return answers.map((a) => (a as PromiseFulfilledResult<Rows>).value);
    },
  };

  /** Every write's answer is in; throws the first failure. */
  async function judged(): Promise<void> {
    await Promise.all(writes);
    throwIfFailed();
  }

  return {
    client,
    /** The scope's own failure (a write or a check), which wins over whatever error the work ended with. */
    failure: () => failure,
    /**
     * Session: every checked write's answer is in and no write has failed so far (the writes nobody checks may
     * still be on their way); throws the scope's failure. What a shared transaction waits for before its COMMIT.
     */
    async ready(): Promise<void> {
      await Promise.all(checked);
      throwIfFailed();
    },
    /** Every write's answer is in; throws the first failure. */
    judged,
    /** Transaction: COMMIT, sent behind the writes still on their way; throws (rolled back) if any of them failed. */
    async commit(): Promise<void> {
      if (!begun || ended) return judged();
      await Promise.all(checked);
      throwIfFailed();
      ended = true;
      const committed = send.query('COMMIT').then(() => undefined, fail);
      await judged(); // a failed write left the transaction aborted: COMMIT answers ROLLBACK, nothing was kept
      await committed;
      throwIfFailed();
    },
    /** Transaction: ROLLBACK, sent behind whatever is still on its way; resolves once everything is answered. */
    async rollback(): Promise<void> {
      if (begun && !ended && mode === 'transaction') {
        ended = true;
        const rolledBack = send.query('ROLLBACK');
        await Promise.all(writes);
        await rolledBack;
      } else {
        await Promise.all(writes);
      }
    },
    /** Session: waits for every write once `work` has settled; the scope's failure wins over the work's error. */
    async settleAfter<T>(work: Promise<T>): Promise<T> {
      let result: T;
      try {
        result = await work;
      } catch (err) {
        await Promise.all(writes);
        throwIfFailed();
        throw err;
      }
      await judged();
      return result;
    },
  };
}
