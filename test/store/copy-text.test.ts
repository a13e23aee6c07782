/**
 * COPY's text format, byte for byte, and COPY FROM STDIN on the server: any text without U+0000 arrives as it was
 * sent; a COPY the server refuses rejects and loads nothing, and the database goes on working. PGlite has no COPY.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { copyLine } from '../../src/store/copy-text.ts';
import type { Database } from '../../src/store/database.ts';
import { postgresOnly, testDatabases } from '../helpers/database.ts';

describe('COPY text format', () => {
  test('fields are tab-separated, the row ends in a newline, null is \\N, numbers as written', () => {
    assert.equal(copyLine(['a', null, 42, -1.5, '']), 'a\t\\N\t42\t-1.5\t\n');
  });

  test('backslash, tab, newline and carriage return are escaped; everything else passes as it is', () => {
    assert.equal(copyLine(['a\\b\tc\nd\re', '"q" \'s\' 中文 \\N']), 'a\\\\b\\tc\\nd\\re\t"q" \'s\' 中文 \\\\N\n');
    // The same escapes again on the next value: nothing is carried from one value to the next.
    assert.equal(copyLine(['\t', '\t']), '\\t\t\\t\n');
  });

  test('a number PostgreSQL could not read back is refused before anything is sent', () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => copyLine([n]), TypeError);
  });
});

const server = postgresOnly();
describe('COPY FROM STDIN on the server', { skip: server ? false : 'needs TEST_DATABASE_URL (PostgreSQL)' }, () => {
  let db: Database;
  before(async () => {
    db = (await (server as NonNullable<typeof server>).open()).db;
    await db.exec('CREATE TABLE copy_probe (i integer PRIMARY KEY, t text, r real)');
  });
  after(() => server?.cleanup());

  test('any text without U+0000 arrives unchanged', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000') && s === Buffer.from(s).toString());
    const tricky = fc.constantFrom('\\N', '\\', '\\\\t', '\t', '\n', '\r\n', '\\.', '"', "'", '中文');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.oneof(text, tricky)), { minLength: 1, maxLength: 20 }), async (values) => {
        await db.exec('TRUNCATE copy_probe');
        await db.copyIn?.('COPY copy_probe (i, t, r) FROM STDIN', values.map((t, i) => copyLine([i, t, i / 4])).join(''));
        const { rows } = await db.query<{ t: string | null; r: number }>('SELECT t, r FROM copy_probe ORDER BY i');
        assert.deepEqual(
          rows,
          values.map((t, i) => ({ t, r: i / 4 })),
        );
      }),
      { numRuns: 100 },
    );
  });

  test('a refused COPY rejects, loads none of its rows, and the next COPY works', async () => {
    await db.exec('TRUNCATE copy_probe');
    const duplicate = copyLine([1, 'a', 0]) + copyLine([1, 'b', 0]);
    await assert.rejects(db.copyIn?.('COPY copy_probe (i, t, r) FROM STDIN', duplicate) ?? Promise.resolve(), { code: '23505' });
    await assert.rejects(db.copyIn?.('COPY copy_probe (i, t, r) FROM STDIN', 'not\ta\tnumber\n') ?? Promise.resolve(), { code: '22P02' });
    assert.equal((await db.query('SELECT 1 FROM copy_probe')).rows.length, 0);
    await db.copyIn?.('COPY copy_probe (i, t, r) FROM STDIN', copyLine([2, 'c', 0]));
    assert.deepEqual((await db.query('SELECT i, t FROM copy_probe')).rows, [{ i: 2, t: 'c' }]);
  });
});

for (const database of testDatabases().filter((d) => d.name === 'pglite')) {
  describe('COPY on PGlite', () => {
    after(() => database.cleanup());
    test('is not offered (its single-user backend stops at COPY FROM STDIN): callers INSERT', async () => {
      assert.equal((await database.open()).db.copyIn, null);
    });
  });
}
