/**
 * Shared transactions (src/store/shared-transactions.ts): order operations that start together run in one
 * database transaction, and each answers as it would have alone. Counted where a user sees it: the database's
 * rows, the answers, the round trips on the wire (PostgreSQL server only), the `/metrics` figures. On PGlite
 * too: its one in-process connection carries shared transactions like a server's connection.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { closeOrder } from '../../src/operations/close-order.ts';
import { createOrder } from '../../src/operations/create-order.ts';
import { openStore } from '../../src/store/open-store.ts';
import { SharedRowError } from '../../src/store/shared-transactions.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant, byNo, contextOf, ManualClock, newOrder } from '../helpers/context.ts';
import { testDatabases } from '../helpers/database.ts';
import { startRoundTripCounter } from '../helpers/round-trip-counter.ts';

/** A unit's answer: its value, or its error's code (a CoreError's, or the server's SQLSTATE). */
const valueOrCode = (o: PromiseSettledResult<unknown>) => (o.status === 'fulfilled' ? o.value : (o.reason as { code: string }).code);
const CLOSE_ALLOWED_AFTER_MS = 5 * 60_000 + 1;

for (const database of testDatabases()) {
  describe(`shared transactions (${database.name})`, () => {
    after(() => database.cleanup());
    /** The tests that count round trips on the wire: the server's only. */
    const onTheWire = { skip: database.name !== 'postgres' && 'round trips on the wire: PostgreSQL server only (TEST_DATABASE_URL)' };

    /** A store with a probe table: one row per unit of work that committed. */
    const probeStore = async (sharedTransactions?: number) => {
      const options = await database.storeOptions();
      const store = await openStore({ ...options, sharedTransactions });
      after(() => store.db.close());
      await store.db.exec('CREATE TABLE probe (k text PRIMARY KEY)');
      return store;
    };
    /** A store whose round trips and statements are counted on the wire. */
    const countedStore = async () => {
      const { databaseUrl, schema } = await database.storeOptions();
      const counter = await startRoundTripCounter(databaseUrl!);
      const store = await openStore({ databaseUrl: counter.url, schema });
      after(async () => {
        await store.db.close();
        await counter.close();
      });
      return { store, counter };
    };
    const committed = async (store: SqlStore) => (await store.db.query<{ k: string }>('SELECT k FROM probe ORDER BY k')).rows.map((r) => r.k);
    const figures = (store: SqlStore) => store.db.sharedFigures();

    test('units that start together share one transaction and all commit', async () => {
      const store = await probeStore();
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      const answers = await Promise.all(
        keys.map((k) =>
          store.db.sharedTransaction(async (c) => {
            c.claimRow('probe', k);
            c.write('INSERT INTO probe (k) VALUES ($1)', [k]);
            return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM probe')).rows[0]!.n;
          }),
        ),
      );
      assert.deepEqual(await committed(store), keys);
      assert.deepEqual(figures(store), { transactions: 1, units: 6, reruns: 0 });
      // One transaction, its statements sent in layers (statement-batch.ts): every unit's first statement, then
      // every unit's second, so each unit's count saw all six inserts. (Units of the store change rows of their own.)
      assert.deepEqual(answers, [6, 6, 6, 6, 6, 6]);
    });

    test("a unit's own refusal stands, run once; its neighbours run again alone and commit; nothing of it is kept", async () => {
      const store = await probeStore();
      const runs = new Map<string, number>();
      const unit = (k: string) =>
        store.db.sharedTransaction(async (c) => {
          runs.set(k, (runs.get(k) ?? 0) + 1);
          c.write('INSERT INTO probe (k) VALUES ($1)', [k]);
          if (k === 'refused') throw new CoreError('ORDER_NOT_FOUND', 'refused after a write');
          return k;
        });
      const outcomes = await Promise.allSettled(['a', 'refused', 'b'].map(unit));
      assert.deepEqual(outcomes.map(valueOrCode), ['a', 'ORDER_NOT_FOUND', 'b']);
      assert.deepEqual(await committed(store), ['a', 'b'], "the refused unit's write was rolled back");
      assert.deepEqual(Object.fromEntries(runs), { a: 2, refused: 1, b: 2 });
      assert.deepEqual(figures(store), { transactions: 1, units: 3, reruns: 2 });
    });

    test('a statement the server refuses fails its unit only; the others, aborted with it, run again and commit', async () => {
      const store = await probeStore();
      const outcomes = await Promise.allSettled(
        ['a', 'broken', 'b'].map((k) =>
          store.db.sharedTransaction(async (c) => {
            c.write('INSERT INTO probe (k) VALUES ($1)', [k]);
            if (k === 'broken') await c.query('SELECT 1 / 0');
            await c.query('SELECT 1');
            return k;
          }),
        ),
      );
      assert.deepEqual(outcomes.map(valueOrCode), ['a', '22012', 'b']);
      assert.deepEqual(await committed(store), ['a', 'b']);
    });

    test('two units changing one row: the second claim fails, both run again alone, no update is lost', async () => {
      const store = await probeStore();
      await store.db.exec('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)');
      const conflicts: unknown[] = [];
      const increment = () =>
        store.db.sharedTransaction(async (c) => {
          const { rows } = await c.query<{ n: number }>('SELECT n FROM counter WHERE id = 1 FOR UPDATE');
          try {
            c.claimRow('counter', '1');
          } catch (err) {
            conflicts.push(err);
            throw err;
          }
          c.write('UPDATE counter SET n = $1 WHERE id = 1', [rows[0]!.n + 1]);
          return rows[0]!.n;
        });
      const seen = await Promise.all([increment(), increment()]);
      assert.equal(conflicts.length, 1);
      assert.ok(conflicts[0] instanceof SharedRowError);
      assert.deepEqual(seen.sort(), [0, 1], 'alone, the second read what the first committed');
      assert.equal((await store.db.query<{ n: number }>('SELECT n FROM counter')).rows[0]!.n, 2);
      assert.deepEqual(figures(store), { transactions: 1, units: 2, reruns: 2 });
    });

    test("reads that start together commit together; a read's own failure keeps its writes and the others'", async () => {
      const store = await probeStore();
      const outcomes = await Promise.allSettled(
        ['a', 'replayed', 'b'].map((k) =>
          store.db.sharedRead(async (c) => {
            c.write('INSERT INTO probe (k) VALUES ($1)', [k]); // as a query's nonce
            if (k === 'replayed') throw new CoreError('ORDER_NOT_FOUND', 'refused');
            return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM probe')).rows[0]!.n;
          }),
        ),
      );
      assert.deepEqual(outcomes.map(valueOrCode), [3, 'ORDER_NOT_FOUND', 3], 'every first statement before any second');
      assert.deepEqual(await committed(store), ['a', 'b', 'replayed'], 'statements that would have committed alone are kept');
      assert.deepEqual(figures(store), { transactions: 1, units: 3, reruns: 0 });

      // A read alone in its turn runs as it would alone, without a transaction (round-trips.test.ts: one round trip).
      assert.equal(await store.db.sharedRead(async (c) => (await c.query<{ n: number }>('SELECT 7 AS n')).rows[0]!.n), 7);
      assert.deepEqual(figures(store), { transactions: 1, units: 3, reruns: 0 });
    });

    test('reads that start together are one round trip with their COMMIT; a refused statement sends them again alone', onTheWire, async () => {
      const { store, counter } = await countedStore();
      await store.db.exec('CREATE TABLE probe (k text PRIMARY KEY)');
      const read = (k: string, then?: string) =>
        store.db.sharedRead(async (c) => {
          c.write('INSERT INTO probe (k) VALUES ($1)', [k]); // as a query's nonce
          const n = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM probe')).rows[0]!.n;
          // Issued after the first answer: on its own after COMMIT, as it would be alone.
          if (then) await c.query('INSERT INTO probe (k) VALUES ($1)', [then]);
          return n;
        });
      counter.reset();
      assert.deepEqual(await Promise.all([read('a'), read('b'), read('c')]), [3, 3, 3]);
      assert.deepEqual([counter.count(), counter.statements()], [1, 8], 'BEGIN, 3 × 2 statements and COMMIT: one round trip');
      counter.reset();
      assert.deepEqual(await Promise.all([read('d'), read('e', 'e-later')]), [5, 5]);
      // What a read issues after its first answer follows COMMIT (a second round trip, unless the answers before
      // COMMIT's reached the gateway in a socket read of their own and it was sent while COMMIT's was on its way).
      assert.equal(counter.statements(), 7);
      assert.ok(counter.count() <= 2);
      assert.deepEqual(await committed(store), ['a', 'b', 'c', 'd', 'e', 'e-later']);

      // A statement the server refuses aborts the shared transaction (COMMIT answers ROLLBACK): nothing of it is
      // kept, every read runs again alone, and the refused one fails alone as it would have.
      const refused = store.db.sharedRead(async (c) => {
        c.write('INSERT INTO probe (k) VALUES ($1)', ['x']);
        return (await c.query<{ n: number }>('SELECT 1 / 0 AS n')).rows[0]!.n;
      });
      const outcomes = await Promise.allSettled([read('f'), refused, read('g')]);
      assert.deepEqual(
        outcomes.map((o) => typeof valueOrCode(o)),
        ['number', 'string', 'number'],
      );
      assert.equal(valueOrCode(outcomes[1]!), '22012', 'division by zero, alone too');
      assert.deepEqual(await committed(store), ['a', 'b', 'c', 'd', 'e', 'e-later', 'f', 'g', 'x'], 'each kept once, as alone');
      assert.deepEqual(figures(store), { transactions: 3, units: 8, reruns: 3 });
    });

    test('reads whose COMMIT the server refuses run again alone, each with the answer it would have had', async () => {
      const store = await probeStore();
      // Checked at COMMIT: two reads of one shared transaction may each write the key, and COMMIT refuses both.
      await store.db.exec('CREATE TABLE once (k text, CONSTRAINT once_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)');
      const read = (k: string) =>
        store.db.sharedRead(async (c) => {
          c.write('INSERT INTO once (k) VALUES ($1)', [k]);
          return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM once')).rows[0]!.n;
        });
      const outcomes = await Promise.allSettled([read('k'), read('k')]);
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected'], 'alone, the first keeps it and the second is refused');
      assert.equal(valueOrCode(outcomes.find((o) => o.status === 'rejected')!), '23505');
      assert.deepEqual((await store.db.query<{ k: string }>('SELECT k FROM once')).rows, [{ k: 'k' }]);
      assert.deepEqual(figures(store), { transactions: 1, units: 2, reruns: 2 });
    });

    test('--database-shared-transactions 1: every unit in a transaction of its own', async () => {
      const store = await probeStore(1);
      await Promise.all(['a', 'b', 'c'].map((k) => store.db.sharedTransaction(async (c) => c.write('INSERT INTO probe (k) VALUES ($1)', [k]))));
      assert.deepEqual(await committed(store), ['a', 'b', 'c']);
      assert.deepEqual(figures(store), { transactions: 0, units: 0, reruns: 0 });
    });

    test('closes of six orders started together: at most 3 round trips in all (12 alone); the same order twice: closed once', onTheWire, async () => {
      const { store, counter } = await countedStore();
      const clock = new ManualClock();
      const ctx = contextOf(store, clock);
      await aMerchant(store);
      const nos = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'];
      await Promise.all(nos.map((no) => createOrder(ctx, newOrder(no), 'wechatV3')));
      clock.advance(CLOSE_ALLOWED_AFTER_MS);

      counter.reset();
      const closed = await Promise.all(nos.map((no) => closeOrder(ctx, byNo(no), 'wechatV3')));
      assert.deepEqual(
        closed.map((r) => [r.order.outTradeNo, r.order.state, r.changed]),
        nos.map((no) => [no, 'CLOSED', true]),
      );
      // BEGIN and six locked reads; six writes and COMMIT. Alone, each close is 2 (12 in all). The count is at most
      // 3: the server's answers may reach the units in more than one read of the socket, so that the last writes
      // leave after everything sent before them was answered.
      assert.ok(counter.count() <= 3, `${counter.count()} round trips for six closes started together`);

      await createOrder(ctx, newOrder('TWICE'), 'wechatV3');
      clock.advance(CLOSE_ALLOWED_AFTER_MS);
      const before = figures(store);
      const twice = await Promise.all([closeOrder(ctx, byNo('TWICE'), 'wechatV3'), closeOrder(ctx, byNo('TWICE'), 'wechatV3')]);
      assert.deepEqual(twice.map((r) => r.changed).sort(), [false, true], 'one close changed it, the other found it closed');
      const history = await store.read(async (tx) => tx.listHistory((await tx.lockOrder(byNo('TWICE')))!.id));
      assert.deepEqual(
        history.map((h) => h.cause),
        ['created', 'close'],
      );
      assert.equal(figures(store).reruns - before.reruns, 2);
    });
  });
}
