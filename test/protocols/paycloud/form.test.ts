/**
 * Form bodies (paycloud-openapi.md §1, §3.1): decoded values are what the client signed, so anything ambiguous or
 * malformed is refused as a whole (`null`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseForm } from '../../../src/protocols/paycloud/form.ts';

function form(text: string): Map<string, string> {
  const f = parseForm(text);
  assert.ok(f, `expected ${JSON.stringify(text)} to parse`);
  return f;
}

describe('parseForm', () => {
  test('plus is a space, %2B is a plus, percent-decoding is UTF-8', () => {
    const f = form('description=IPhone+15%205G&sign=ab%2Bc%2F%3D%3D&name=%E4%B8%AD%E6%96%87&emoji=%F0%9F%98%80&raw=中文');
    assert.equal(f.get('description'), 'IPhone 15 5G');
    assert.equal(f.get('sign'), 'ab+c/==');
    assert.equal(f.get('name'), '中文');
    assert.equal(f.get('emoji'), '😀');
    assert.equal(f.get('raw'), '中文');
  });

  test('names are decoded too; values may contain = and lower-case hex', () => {
    const f = form('a%5Fb=x%3dy=z&c+d=1');
    assert.equal(f.get('a_b'), 'x=y=z');
    assert.equal(f.get('c d'), '1');
  });

  test('empty values are kept (the signer drops them later), empty segments skipped', () => {
    const f = form('attach=&a=1&&b&');
    assert.deepEqual(
      [...f],
      [
        ['attach', ''],
        ['a', '1'],
        ['b', ''],
      ],
    );
    assert.equal(form('').size, 0);
  });

  test('__proto__ is an ordinary name', () => {
    const f = form('__proto__=x&constructor=y');
    assert.equal(f.get('__proto__'), 'x');
    assert.equal(f.get('constructor'), 'y');
  });

  test('invalid percent sequences are refused', () => {
    for (const t of ['a=%', 'a=%4', 'a=%G1', 'a=%%41', 'a=1%', '%zz=1', 'a=%+1']) assert.equal(parseForm(t), null, t);
  });

  test('bytes that are not UTF-8 are refused', () => {
    for (const t of ['a=%C3%28', 'a=%FF', 'a=%E4%B8', 'a=%ED%A0%80', 'a=%C0%AF']) assert.equal(parseForm(t), null, t);
  });

  test('lone surrogates in the text are refused', () => {
    assert.equal(parseForm('a=\ud800'), null);
    assert.equal(parseForm('a=\udc00x'), null);
  });

  test('duplicate names are refused, also when encoded differently', () => {
    assert.equal(parseForm('a=1&a=1'), null);
    assert.equal(parseForm('a=1&%61=2'), null);
    assert.equal(parseForm('a+b=1&a%20b=2'), null);
  });

  test('empty names are refused', () => {
    assert.equal(parseForm('=1'), null);
    assert.equal(parseForm('a=1&=2'), null);
  });

  test('property: URLSearchParams encoding round-trips', () => {
    const text = fc.string({ unit: 'binary', maxLength: 10 });
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(
            text.filter((k) => k !== ''),
            text,
          ),
          { selector: ([k]) => k, maxLength: 8 },
        ),
        (pairs) => {
          assert.deepEqual(parseForm(new URLSearchParams(pairs).toString()), new Map(pairs));
        },
      ),
      { numRuns: 500 },
    );
  });
});
