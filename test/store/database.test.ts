/**
 * The SQL surface on every database: values travel as bind parameters (any text survives), and statements of a
 * transaction are sent without waiting for each other while keeping what the transaction means.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Database } from '../../src/store/database.ts';
import { openPostgres } from '../../src/store/database.ts';
import { postgresOnly, testDatabases } from '../helpers/database.ts';
import { startRoundTripCounter, type RoundTripCounter } from '../helpers/round-trip-counter.ts';

for (const database of testDatabases()) {
  describe(`SQL surface on ${database.name}`, () => {
    let db: Database;
    before(async () => {
      db = (await database.open()).db;
      await db.exec('CREATE TABLE probe (k text PRIMARY KEY, v text, n bigint)');
    });
    after(() => database.cleanup());

    test('any text without U+0000 comes back unchanged as a parameter, and a placeholder inside it stays text', async () => {
      const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000') && s === Buffer.from(s).toString());
      const tricky = fc.constantFrom("'", "''", '\\', "\\'", '$1', '$$', "E'\\n'", '--', '/*', ';', "x'); DROP TABLE probe; --");
      await fc.assert(
        fc.asyncProperty(fc.oneof(text, tricky), async (s) => {
          const seen = await db.session(async (c) => {
            c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v', ['prop', s, 0]);
            return c.queryAll([
              { sql: 'SELECT $1::text AS v, $2::bigint AS n, $3::text[] AS a', params: [s, -42, [s, null]] },
              { sql: 'SELECT v FROM probe WHERE k = $1', params: ['prop'] },
            ]);
          });
          assert.deepEqual(
            seen.map((r) => r.rows[0]),
            [{ v: s, n: -42, a: [s, null] }, { v: s }],
          );
        }),
        { numRuns: 300 },
      );
      await db.query('DELETE FROM probe WHERE k = $1', ['prop']);
    });

    test('a transaction reads its own writes, in order, and commits them', async () => {
      const seen = await db.transaction(async (c) => {
        c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['a', "it's $1", 1]);
        c.write('UPDATE probe SET n = n + $2 WHERE k = $1', ['a', 10]);
        const [one, two] = await c.queryAll([{ sql: 'SELECT v, n FROM probe WHERE k = $1', params: ['a'] }, { sql: 'SELECT count(*)::int AS c FROM probe' }]);
        c.write('UPDATE probe SET n = n * $2 WHERE k = $1', ['a', 2]);
        return [one!.rows[0], two!.rows[0]];
      });
      assert.deepEqual(seen, [{ v: "it's $1", n: 11 }, { c: 1 }]);
      assert.deepEqual((await db.query('SELECT n FROM probe WHERE k = $1', ['a'])).rows, [{ n: 22 }]);
    });

    test('a write that fails, or whose rows fail their check, rolls the whole transaction back', async () => {
      // The read after the failed write reports the write's own error, not "transaction aborted".
      await assert.rejects(
        db.transaction(async (c) => {
          c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['b', 'first', 1]);
          c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['a', 'duplicate key', 1]);
          return c.query('SELECT 1');
        }),
        (err: { code?: string }) => err.code === '23505',
      );
      // Nobody reads after the failed write: COMMIT reports it, and nothing is kept.
      await assert.rejects(
        db.transaction(async (c) => {
          c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['b', 'first', 1]);
          c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['a', 'duplicate key', 1]);
        }),
        (err: { code?: string }) => err.code === '23505',
      );
      await assert.rejects(
        db.transaction(async (c) => {
          c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3) RETURNING k', ['c', 'checked', 1], (rows) => {
            if (rows.length === 1) throw new Error('refused by check');
          });
          c.write('UPDATE probe SET n = 0');
        }),
        /refused by check/,
      );
      await assert.rejects(
        db.transaction(async (c) => {
          c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3) RETURNING k', ['c', 'checked', 1], (rows) => {
            if (rows.length === 1) throw new Error('refused by check');
          });
          await c.query('SELECT 1');
          c.write('UPDATE probe SET n = 0'); // never sent: the check has failed by now
        }),
        /refused by check/,
      );
      await assert.rejects(
        db.transaction(async (c) => {
          c.write('UPDATE probe SET n = 0');
          throw new Error('decided against it');
        }),
        /decided against it/,
      );
      assert.deepEqual((await db.query('SELECT k, n FROM probe ORDER BY k')).rows, [{ k: 'a', n: 22 }]);
    });

    test('a session waits for its writes even when its work fails, and a failed check wins', async () => {
      const n = async () => (await db.query('SELECT n FROM probe WHERE k = $1', ['a'])).rows[0]?.n;
      const before = await n();
      await assert.rejects(
        db.session(async (c) => {
          c.write('UPDATE probe SET n = n + 1 WHERE k = $1', ['a']);
          throw new Error('the read found nothing');
        }),
        /the read found nothing/,
      );
      assert.equal(await n(), Number(before) + 1);
      await assert.rejects(
        db.session(async (c) => {
          c.write('SELECT 1 AS one WHERE false', [], (rows) => {
            if (rows.length === 0) throw new Error('check failed');
          });
          throw new Error('the read found nothing');
        }),
        /check failed/,
      );
      const seen = await db.session(async (c) => {
        c.write('UPDATE probe SET n = n + 1 WHERE k = $1', ['a']);
        return (await c.query('SELECT n FROM probe WHERE k = $1', ['a'])).rows[0]?.n;
      });
      assert.equal(seen, Number(before) + 2);
    });

    test('a statement on its own that the database refuses costs no connection: the next one runs on the same', async () => {
      const backend = async () => (await db.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const first = await backend();
      const open = db.poolStats().total;
      await assert.rejects(db.query('SELECT 1 / $1::int', [0]), { code: '22012' });
      const insert = "INSERT INTO probe (k, v, n) VALUES ('refused', 'once', 0)";
      await db.query(insert);
      await assert.rejects(db.query(insert), { code: '23505' });
      assert.equal(await backend(), first);
      assert.equal(db.poolStats().total, open);
      await db.query("DELETE FROM probe WHERE k = 'refused'");
    });

    test('a connection given up inside a transaction takes the transaction with it, as a dropped connection does', async () => {
      // A database of its own: after DEALLOCATE ALL, PGlite's record of prepared statements (the adapter's, one for
      // all its clients) stays stale, so this test's later statements are unnamed ones.
      const own = (await database.open()).db;
      await own.exec("CREATE TABLE clock (k text PRIMARY KEY, n bigint); INSERT INTO clock VALUES ('m', 0)");
      const read = 'SELECT n FROM clock WHERE k = $1';
      await own.session((c) => c.query(read, ['m'])); // now prepared on the connection
      // Its prepared statement gone (26000) inside a transaction it began: the store gives the connection up.
      await assert.rejects(
        own.session(async (c) => {
          await c.exec('BEGIN');
          await c.exec("UPDATE clock SET n = 100 WHERE k = 'm'");
          await c.exec('DEALLOCATE ALL');
          return c.query(read, ['m']);
        }),
        { code: '26000' },
      );
      // What follows is no part of that transaction: it commits on its own, and a later ROLLBACK leaves it be.
      const advanced = await own.query("UPDATE clock SET n = n + 15 WHERE k = 'm' RETURNING n");
      assert.deepEqual(advanced.rows, [{ n: 15 }]);
      await own.session(async (c) => {
        for (const sql of ['BEGIN', "UPDATE clock SET n = n + 1000 WHERE k = 'm'", 'ROLLBACK']) await c.exec(sql);
      });
      assert.deepEqual((await own.query("SELECT n FROM clock WHERE k = 'm'")).rows, [{ n: 15 }]);
    });
  });
}

const server = postgresOnly();
describe('pipelining on the PostgreSQL server', { skip: !server && 'PostgreSQL server only (TEST_DATABASE_URL)' }, () => {
  let db: Database;
  let counter: RoundTripCounter;
  let target: { databaseUrl?: string; schema?: string };
  before(async () => {
    target = await server!.storeOptions();
    const { databaseUrl, schema } = target;
    counter = await startRoundTripCounter(databaseUrl!);
    db = openPostgres({ connectionString: counter.url, schema, max: 1 }); // one connection: every call reuses it
    await db.exec('CREATE TABLE pipeline_probe (k text PRIMARY KEY, n int NOT NULL)');
  });
  after(async () => {
    await db.close();
    await counter.close();
    await server!.cleanup();
  });

  test('statements issued together are one round trip; a read waits for nothing but its own answer', async () => {
    await db.query('SELECT 1'); // the pool's connection is open
    counter.reset();
    await db.transaction(async (c) => {
      c.write('INSERT INTO pipeline_probe (k, n) VALUES ($1, $2)', ['a', 1]);
      await c.queryAll([
        { sql: 'SELECT n FROM pipeline_probe WHERE k = $1', params: ['a'] },
        { sql: 'SELECT $1::int', params: [2] },
      ]);
      c.write('UPDATE pipeline_probe SET n = n + 1 WHERE k = $1', ['a']);
      c.write('INSERT INTO pipeline_probe (k, n) VALUES ($1, $2)', ['b', 1]);
    });
    assert.equal(counter.count(), 2, 'BEGIN, insert, two reads | update, insert, COMMIT');
    counter.reset();
    await db.session(async (c) => {
      c.write('UPDATE pipeline_probe SET n = n + 1 WHERE k = $1', ['b']);
      await c.queryAll([
        { sql: 'SELECT n FROM pipeline_probe WHERE k = $1', params: ['a'] },
        { sql: 'SELECT n FROM pipeline_probe WHERE k = $1', params: ['b'] },
      ]);
    });
    assert.equal(counter.count(), 1);
    assert.deepEqual((await db.query('SELECT k, n FROM pipeline_probe ORDER BY k')).rows, [
      { k: 'a', n: 2 },
      { k: 'b', n: 2 },
    ]);
  });

  test("a transaction's statements are prepared once per connection, then only bound and executed", async () => {
    const prepared = async () =>
      (await db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY statement')).rows.map((r) => r.statement);
    await db.transaction(async (c) => {
      c.write('UPDATE pipeline_probe SET n = n + $2 WHERE k = $1', ['a', 1]);
    });
    // A failed transaction leaves nothing half-prepared: the next one still runs.
    await assert.rejects(
      db.transaction(async (c) => {
        c.write('UPDATE pipeline_probe SET n = n + $2 WHERE k = $1', ['a', 1]);
        await c.query('SELECT 1 / $1::int', [0]);
      }),
      (err: { code?: string }) => err.code === '22012',
    );
    await db.transaction(async (c) => {
      c.write('UPDATE pipeline_probe SET n = n + $2 WHERE k = $1', ['a', 1]);
    });
    const statements = await prepared();
    assert.ok(statements.includes('UPDATE pipeline_probe SET n = n + $2 WHERE k = $1'), statements.join('\n'));
    assert.equal(statements.filter((s) => s === 'UPDATE pipeline_probe SET n = n + $2 WHERE k = $1').length, 1);
    assert.ok(!statements.includes('SELECT k, n FROM pipeline_probe ORDER BY k'), "the pool's own queries stay unnamed");
    assert.deepEqual((await db.query('SELECT n FROM pipeline_probe WHERE k = $1', ['a'])).rows, [{ n: 4 }]);
    // The server forgets them behind the driver's back: the transaction runs again on a fresh connection.
    await db.query('DEALLOCATE ALL');
    await db.transaction(async (c) => {
      c.write('UPDATE pipeline_probe SET n = n + $2 WHERE k = $1', ['a', 1]);
    });
    assert.deepEqual((await db.query('SELECT n FROM pipeline_probe WHERE k = $1', ['a'])).rows, [{ n: 5 }]);
    assert.equal((await prepared()).filter((s) => s === 'UPDATE pipeline_probe SET n = n + $2 WHERE k = $1').length, 1);
  });

  test('--database-prepared-statements off: nothing stays prepared on the connection (PgBouncer < 1.21, transaction pooling)', async () => {
    const { databaseUrl, schema } = target;
    const unnamed = openPostgres({ connectionString: databaseUrl!, schema, max: 1, preparedStatements: false });
    try {
      await unnamed.exec('CREATE TABLE unnamed_probe (k text PRIMARY KEY, n int NOT NULL)');
      await unnamed.transaction(async (c) => {
        c.write('INSERT INTO unnamed_probe (k, n) VALUES ($1, $2)', ['a', 1]);
      });
      await assert.rejects(
        unnamed.transaction(async (c) => {
          c.write('UPDATE unnamed_probe SET n = n + $2 WHERE k = $1', ['a', 1]);
          await c.query('SELECT 1 / $1::int', [0]);
        }),
        (err: { code?: string }) => err.code === '22012',
      );
      await unnamed.session(async (c) => {
        await c.query('SELECT n FROM unnamed_probe WHERE k = $1', ['a']);
      });
      assert.deepEqual((await unnamed.query('SELECT name FROM pg_prepared_statements')).rows, []);
      assert.deepEqual((await unnamed.query('SELECT n FROM unnamed_probe WHERE k = $1', ['a'])).rows, [{ n: 1 }]);
    } finally {
      await unnamed.close();
    }
  });
});
