/**
 * The SQL surface on every database: literals that survive any text, and transactions that hold writes back to
 * save round trips without changing what the transaction means.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { inlineParams, sqlLiteral } from '../../src/store/sql-literal.ts';
import type { Database } from '../../src/store/database.ts';
import { openPostgres } from '../../src/store/database.ts';
import { postgresOnly, testDatabases } from '../helpers/database.ts';

test('placeholders become quoted literals; what cannot be a literal is refused', () => {
  assert.equal(inlineParams('SELECT $1, $2, $10', [1, "it's", null, 4, 5, 6, 7, 8, 9, true]), "SELECT E'1', E'it''s', E'true'");
  assert.equal(sqlLiteral('a\\b'), "E'a\\\\b'");
  assert.throws(() => inlineParams('SELECT $2', [1]), RangeError);
  assert.throws(() => sqlLiteral('a\u0000b'), TypeError);
  assert.throws(() => sqlLiteral(Number.NaN), TypeError);
  assert.throws(() => sqlLiteral(Buffer.from('x')), TypeError);
  // What node-postgres itself sends for a parameter: arrays as array literals, objects as JSON.
  assert.equal(sqlLiteral([1, 'a"b', null]), `E'{"1","a\\\\"b",NULL}'`);
  assert.equal(sqlLiteral({ a: "it's" }), `E'{"a":"it''s"}'`);
});

for (const database of testDatabases()) {
  describe(`SQL surface on ${database.name}`, () => {
    let db: Database;
    before(async () => {
      db = (await database.open()).db;
      await db.exec('CREATE TABLE probe (k text PRIMARY KEY, v text, n bigint)');
    });
    after(() => database.cleanup());

    test('any text without U+0000 comes back unchanged from a literal, and a placeholder inside it stays text', async () => {
      const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000') && s === Buffer.from(s).toString());
      const tricky = fc.constantFrom("'", "''", '\\', "\\'", '$1', '$$', "E'\\n'", '--', '/*', ';', 'x\'); DROP TABLE probe; --');
      await fc.assert(fc.asyncProperty(fc.oneof(text, tricky), async (s) => {
        const { rows } = await db.query(inlineParams('SELECT $1::text AS v, $2::bigint AS n, $3::text[] AS a', [s, -42, [s, null]]));
        assert.deepEqual(rows[0], { v: s, n: -42, a: [s, null] });
      }), { numRuns: 300 });
    });

    test('a transaction reads its own held-back writes, in order, and commits them', async () => {
      const seen = await db.transaction(async (c) => {
        await c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['a', "it's $1", 1]);
        await c.write('UPDATE probe SET n = n + $2 WHERE k = $1', ['a', 10]);
        const [one, two] = await c.queryAll([
          { sql: 'SELECT v, n FROM probe WHERE k = $1', params: ['a'] },
          { sql: 'SELECT count(*)::int AS c FROM probe' },
        ]);
        await c.write('UPDATE probe SET n = n * $2 WHERE k = $1', ['a', 2]);
        return [one!.rows[0], two!.rows[0]];
      });
      assert.deepEqual(seen, [{ v: "it's $1", n: 11 }, { c: 1 }]);
      assert.deepEqual((await db.query('SELECT n FROM probe WHERE k = $1', ['a'])).rows, [{ n: 22 }]);
    });

    test('a held-back write that fails, or whose rows fail their check, rolls the whole transaction back', async () => {
      await assert.rejects(db.transaction(async (c) => {
        await c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['b', 'first', 1]);
        await c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3)', ['a', 'duplicate key', 1]);
        return c.query('SELECT 1');
      }), (err: { code?: string }) => err.code === '23505');
      await assert.rejects(db.transaction(async (c) => {
        await c.write('INSERT INTO probe (k, v, n) VALUES ($1, $2, $3) RETURNING k', ['c', 'checked', 1], (rows) => {
          if (rows.length === 1) throw new Error('refused by check');
        });
        await c.write('UPDATE probe SET n = 0');
      }), /refused by check/);
      await assert.rejects(db.transaction(async (c) => {
        await c.write('UPDATE probe SET n = 0');
        throw new Error('decided against it');
      }), /decided against it/);
      assert.deepEqual((await db.query('SELECT k, n FROM probe ORDER BY k')).rows, [{ k: 'a', n: 22 }]);
    });

    test('a session sends its held-back writes even when its work fails, and a failed check wins', async () => {
      const n = async () => (await db.query('SELECT n FROM probe WHERE k = $1', ['a'])).rows[0]?.n;
      const before = await n();
      await assert.rejects(db.session(async (c) => {
        await c.write('UPDATE probe SET n = n + 1 WHERE k = $1', ['a']);
        throw new Error('the read found nothing');
      }), /the read found nothing/);
      assert.equal(await n(), Number(before) + 1);
      await assert.rejects(db.session(async (c) => {
        await c.write('SELECT 1 AS one WHERE false', [], (rows) => { if (rows.length === 0) throw new Error('check failed'); });
        throw new Error('the read found nothing');
      }), /check failed/);
      const seen = await db.session(async (c) => {
        await c.write('UPDATE probe SET n = n + 1 WHERE k = $1', ['a']);
        return (await c.query('SELECT n FROM probe WHERE k = $1', ['a'])).rows[0]?.n;
      });
      assert.equal(seen, Number(before) + 2);
    });
  });
}

const server = postgresOnly();
describe('prepared statements on one server connection', { skip: !server && 'PostgreSQL server only (TEST_DATABASE_URL)' }, () => {
  let db: Database;
  before(async () => {
    const { databaseUrl, schema } = await server!.storeOptions();
    db = openPostgres({ connectionString: databaseUrl!, schema, max: 1 }); // one connection: every call reuses it
    await db.exec('CREATE TABLE prepared_probe (k text PRIMARY KEY)');
  });
  after(async () => {
    await db.close();
    await server!.cleanup();
  });
  const insert = (c: { write: Database['write'] }, k: string) => c.write('INSERT INTO prepared_probe (k) VALUES ($1)', [k]);
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM prepared_probe')).rows[0]!.n;

  test('a batch that failed after its PREPARE ran, or before, leaves the connection knowing what is prepared', async () => {
    // PREPARE runs, then the batch fails: the statement exists although the transaction rolled back.
    await assert.rejects(db.transaction(async (c) => {
      await insert(c, 'a');
      await c.query('SELECT 1 / 0');
    }), (err: { code?: string }) => err.code === '22012');
    await db.transaction(async (c) => insert(c, 'b'));
    // The batch fails before its PREPARE: the statement does not exist although this connection was about to make it.
    await assert.rejects(db.transaction(async (c) => {
      await c.write('SELECT 1 / 0');
      await c.query('SELECT k FROM prepared_probe WHERE k = $1', ['b']);
    }), (err: { code?: string }) => err.code === '22012');
    const found = await db.transaction(async (c) => (await c.query('SELECT k FROM prepared_probe WHERE k = $1', ['b'])).rows);
    assert.deepEqual(found, [{ k: 'b' }]);
    assert.equal(await count(), 1);
  });
});
