/**
 * The statements of a shared transaction's units (shared-transactions.ts), gathered per turn: what the units
 * issue while the event loop's current turn runs is sent together on the next tick, and where several units
 * issue the same text with a set form (set-statements.ts), as one statement for all of them — a reverse's nonce,
 * its order locked with its merchant, and its change are three statements for the whole batch, not three each.
 *
 * Each unit's statements keep their order on the connection: a unit's statement leaves only after the one it
 * issued before. So the batch goes out in layers: every unit's first waiting statement, grouped by text, then
 * every unit's next, and so on. Units never depend on each other's statements (each changes rows of its own), so
 * nothing else needs an order. A set statement the server refuses fails every unit in it, as a single statement
 * refused fails the shared transaction: all of them run again alone.
 */
import type { Send } from './pipelined-scope.ts';
import { type Row, setFormOf } from './set-statements.ts';

type Answer = { rows: Row[] };

interface Waiting {
  readonly sql: string;
  readonly params: readonly unknown[] | undefined;
  /** `exec`: statements without parameters and answer; never part of a set. */
  readonly exec: boolean;
  resolve(answer: Answer | undefined): void;
  reject(error: unknown): void;
}

export interface StatementBatch {
  /** How one unit issues its statements. */
  sendFor(): Send;
  /** Sends every waiting statement now (before the transaction's COMMIT or ROLLBACK). */
  flush(): void;
}

export function statementBatch(send: Send): StatementBatch {
  /** Per unit, its statements not yet sent, in the order it issued them. */
  const queues: Waiting[][] = [];
  // Due at once: made before the transaction's BEGIN is sent, its first sending comes before the tick that uncorks
  // the socket (database.ts), so that BEGIN and the units' first statements leave in one write.
  let scheduled = true;

  function forward(w: Waiting) {
    if (w.exec) send.exec(w.sql).then(() => w.resolve(undefined), w.reject);
    else send.query(w.sql, w.params).then(w.resolve, w.reject);
  }

  function sendTogether(group: readonly Waiting[]) {
    const form = group.length > 1 && !group[0].exec ? setFormOf(group[0].sql) : undefined;
    if (!form) {
      for (const w of group) forward(w);
      return;
    }
    const each = group.map((w) => w.params ?? []);
    send.query(form.sql, form.params(each)).then(
      ({ rows }) => {
        const parts = form.split(rows, each);
        for (const [i, w] of group.entries()) w.resolve({ rows: parts[i] });
      },
      (error: unknown) => {
        for (const w of group) w.reject(error);
      },
    );
  }

  function flush() {
    scheduled = false;
    for (;;) {
      const layer = new Map<string, Waiting[]>();
      for (const queue of queues) {
        const next = queue.shift();
        if (!next) continue;
        const key = next.exec ? `exec:${next.sql}` : next.sql;
        const group = layer.get(key);
        if (group) group.push(next);
        else layer.set(key, [next]);
      }
      if (layer.size === 0) return;
      for (const group of layer.values()) sendTogether(group);
    }
  }

  function enqueue(queue: Waiting[], sql: string, params: readonly unknown[] | undefined, exec: boolean): Promise<Answer | undefined> {
    return new Promise((resolve, reject) => {
      queue.push({ sql, params, exec, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        // After the promise jobs of this turn: every unit that is running has issued what it will issue now.
        process.nextTick(flush);
      }
    });
  }

  process.nextTick(flush);
  return {
    sendFor(): Send {
      const queue: Waiting[] = [];
      queues.push(queue);
      return {
        query: (sql, params) => enqueue(queue, sql, params, false) as Promise<Answer>,
        exec: async (sql) => {
          await enqueue(queue, sql, undefined, true);
        },
      };
    },
    flush,
  };
}
