/** The SQL surface the store speaks: node-postgres stands behind it, on the server or on PGlite (database.ts). */

export interface Statement {
  readonly sql: string;
  readonly params?: readonly unknown[];
}

/** Checks the rows of a write once they arrive; throwing fails (and rolls back) the transaction. */
export type RowCheck = (rows: readonly Record<string, unknown>[]) => void;

/** One statement at a time, on any connection. Values always travel as bind parameters, never in the SQL text. */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The statements of one transaction or session, on one connection, sent as they are issued (pipelined). */
export interface SqlClient extends SqlRunner {
  /**
   * A statement whose result nobody reads: sent at once behind the statements before it, not waited for. Its
   * failure (or its rows failing `check`) fails the whole scope: the scope's next query throws it, and the
   * transaction ends with it, rolled back; a session ends with it once its work is done.
   */
  write(sql: string, params?: readonly unknown[], check?: RowCheck): void;
  /**
   * Says that this unit of work has locked the row `id` of `table` to change it (an order, a fault definition),
   * and must be alone in doing so. In a shared transaction (shared-transactions.ts), where row locks do not
   * separate the units, a row another unit claimed first throws `SharedRowError`: a unit must not decide on a
   * neighbour's uncommitted change, so both run again, each on its own.
   */
  claimRow(table: string, id: string): void;
  /** Several statements sent together (one round trip to a server); one result per statement, in order. */
  queryAll(statements: readonly Statement[]): Promise<{ rows: Record<string, unknown>[] }[]>;
}

/** Shared transactions (shared-transactions.ts) counted since the store opened (`/metrics`). */
export interface SharedTransactionFigures {
  /** Database transactions that carried units of work: changes (one or more), reads (two or more; one runs alone). */
  readonly transactions: number;
  /** Units of work they carried. */
  readonly units: number;
  /** Units that ran again alone after their shared transaction rolled back. */
  readonly reruns: number;
}

export interface Database extends SqlRunner {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction (READ COMMITTED; row locks serialise work on one order). */
  transaction<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs fn on one connection without a transaction: every statement commits on its own. Writes are waited for
   * once fn has settled, whatever it did; a failed one (or a failed check) wins over fn's error.
   */
  session<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Like `transaction`, but fn may share its database transaction with other units of work that started in the
   * same turn of the event loop (shared-transactions.ts): fn must claim the rows it changes (`claimRow`) and
   * may be run again on its own. The order store's transactions go this way.
   */
  sharedTransaction<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Like `session`, but fn's statements may run in one transaction with other reads that started in the same turn
   * of the event loop (committed together; fn's own failure does not undo the others). The order store's reads.
   */
  sharedRead<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /** Connection pool use (PGlite: a pool of its one in-process connection). */
  poolStats(): { max: number; total: number; idle: number; waiting: number };
  /** Shared transactions since the store opened. */
  sharedFigures(): SharedTransactionFigures;
  close(): Promise<void>;
}
