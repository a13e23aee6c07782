/**
 * COPY's text format, byte for byte, and read back: any values a line holds come back as they were written.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { copyFields, copyLine } from '../../src/store/copy-text.ts';

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

describe('COPY text read back', () => {
  test('every line copyLine writes reads back as its values, as text (numbers as written)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s === Buffer.from(s).toString());
    const tricky = fc.constantFrom('\\N', '\\', '\\\\t', '\t', '\n', '\r\n', '\\.', '"', "'", '中文', '');
    const value = fc.oneof(fc.constant(null), text, tricky, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 20 }), (values) => {
        const line = copyLine(values);
        assert.equal(line.indexOf('\n'), line.length - 1, 'one line: no newline but its end');
        assert.deepEqual(
          copyFields(line.slice(0, -1)),
          values.map((v) => (v === null ? null : String(v))),
        );
      }),
      { numRuns: 500 },
    );
  });

  test('a backslash before any other character stands for that character, as COPY reads it', () => {
    assert.deepEqual(copyFields('a\\qb\t\\N\t\\\\N'), ['aqb', null, '\\N']);
    assert.deepEqual(copyFields('\\N\t'), [null, '']);
  });
});
