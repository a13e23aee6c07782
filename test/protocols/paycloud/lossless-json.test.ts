/**
 * The lossless tokenizer of paycloud-openapi.md §3.1: values keep their source text, hostile or ambiguous input is
 * refused with a reason (never an exception), and time stays linear.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseTopLevel, type RawValue } from '../../../src/protocols/paycloud/lossless-json.ts';
import { fieldsForSigning } from '../../../src/protocols/paycloud/sign.ts';

function fields(text: string): Map<string, RawValue> {
  const r = parseTopLevel(text);
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.fields;
}

function refused(text: string): string {
  const r = parseTopLevel(text);
  assert.ok(!r.ok, `expected a refusal of ${JSON.stringify(text.slice(0, 80))}`);
  assert.equal(typeof r.reason, 'string');
  return r.reason;
}

/**
 * Fails if `fn` takes 2 s or more: linear work on ~250 KB takes milliseconds even on a busy CI core, quadratic
 * work (~6·10^10 steps) takes minutes. A wide margin, so that load on the machine never fails it.
 */
function fast<T>(fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `took ${ms.toFixed(1)} ms`);
  return out;
}

describe('parseTopLevel keeps source text', () => {
  test('numbers keep their token text', () => {
    const f = fields('{"a":1.0,"b":200.06,"c":1e2,"d":-0,"e":100.50,"f":12345678901234567890,"g":1E-7}');
    assert.deepEqual(f.get('a'), { kind: 'number', text: '1.0' });
    assert.deepEqual(f.get('b'), { kind: 'number', text: '200.06' });
    assert.deepEqual(f.get('c'), { kind: 'number', text: '1e2' });
    assert.deepEqual(f.get('d'), { kind: 'number', text: '-0' });
    assert.deepEqual(f.get('e'), { kind: 'number', text: '100.50' });
    assert.deepEqual(f.get('f'), { kind: 'number', text: '12345678901234567890' });
    assert.deepEqual(f.get('g'), { kind: 'number', text: '1E-7' });
  });

  test('strings are decoded, literals kept, null is its own kind', () => {
    const f = fields('{ "s" : "a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00", "t": true, "f": false, "n": null, "e": "" }');
    assert.deepEqual(f.get('s'), { kind: 'string', value: 'a"b\\c/d\né😀' });
    assert.deepEqual(f.get('t'), { kind: 'bool', text: 'true' });
    assert.deepEqual(f.get('f'), { kind: 'bool', text: 'false' });
    assert.deepEqual(f.get('n'), { kind: 'null' });
    assert.deepEqual(f.get('e'), { kind: 'string', value: '' });
    assert.deepEqual([...f.keys()], ['s', 't', 'f', 'n', 'e']);
  });

  test('nested objects and arrays: compact source text, string contents verbatim', () => {
    const f = fields('{"ext_params" : { "a" : [ 1.0 , "x y" , { } , [ ] ] ,\n\t"b\\u0041" : "\\n" , "c": null } }');
    assert.deepEqual(f.get('ext_params'), { kind: 'raw', text: '{"a":[1.0,"x y",{},[]],"b\\u0041":"\\n","c":null}' });
    assert.deepEqual(fields('{"l":[]}').get('l'), { kind: 'raw', text: '[]' });
  });

  test('empty object, surrounding whitespace', () => {
    assert.equal(fields(' \r\n\t{ } \n').size, 0);
  });

  test('__proto__ and constructor are plain keys', () => {
    const f = fields('{"__proto__":{"polluted":1},"constructor":"x"}');
    assert.deepEqual(f.get('__proto__'), { kind: 'raw', text: '{"polluted":1}' });
    assert.deepEqual(f.get('constructor'), { kind: 'string', value: 'x' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test(`depth ${MAX_JSON_DEPTH} is accepted, ${MAX_JSON_DEPTH + 1} refused`, () => {
    const nested = (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    assert.equal(fields(nested(MAX_JSON_DEPTH)).get('a')?.kind, 'raw');
    assert.match(refused(nested(MAX_JSON_DEPTH + 1)), /nesting/);
  });
});

describe('parseTopLevel refuses', () => {
  test('duplicate keys, also when spelled differently', () => {
    assert.match(refused('{"a":1,"a":1}'), /duplicate/);
    assert.match(refused('{"a":1,"\\u0061":2}'), /duplicate/);
    assert.match(refused('{"__proto__":1,"__proto__":2}'), /duplicate/);
  });

  test('duplicates inside nested objects are left to the nested text (it is signed as sent)', () => {
    assert.deepEqual(fields('{"x":{"a":1,"a":2}}').get('x'), { kind: 'raw', text: '{"a":1,"a":2}' });
  });

  test('trailing garbage and non-object bodies', () => {
    for (const t of ['{"a":1}x', '{"a":1}{}', '{"a":1},', '[1]', '"a"', '1', '', ' ', 'null', '\ufeff{}', '{"a":1']) refused(t);
  });

  test('invalid escapes and control characters', () => {
    for (const t of ['{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"\\u12G4"}', '{"a":"\\', '{"a":"\u0001"}', '{"a":"\n"}', '{"a\\q":1}']) {
      refused(t);
    }
  });

  test('lone surrogates, escaped or raw, in values, keys and nested text', () => {
    for (const t of [
      '{"a":"\\ud800"}',
      '{"a":"\\udc00"}',
      '{"a":"\\ud800\\u0041"}',
      '{"a":"\\ud800x"}',
      '{"\\ud800":1}',
      '{"a":"\ud800"}',
      '{"a":"\udc00\ud800"}',
      '{"a":["\\udfff"]}',
      '{"a":{"\ud800":1}}',
    ]) {
      assert.match(refused(t), /surrogate/, t);
    }
  });

  test('malformed numbers and literals', () => {
    for (const t of ['01', '-', '1.', '.5', '+1', '1e', '1e+', '0x10', '1.0.0', 'NaN', 'Infinity', '-01', 'tru', 'nul', 'True']) {
      refused(`{"a":${t}}`);
      refused(`{"a":[${t}]}`);
    }
  });

  test('structural errors', () => {
    for (const t of ['{"a" 1}', '{"a":1,}', '{,}', '{"a":[1,]}', '{"a":[,1]}', '{"a":{"b"}}', '{"a":{1:2}}', "{'a':1}", '{a:1}', '{"a":1 "b":2}']) {
      refused(t);
    }
  });
});

describe('parseTopLevel is linear and never throws', () => {
  test('deep nesting attack is refused quickly', () => {
    fast(() => refused(`{"a":${'['.repeat(1_000_000)}`));
  });

  test('a quarter megabyte of members, escapes, and nested text', () => {
    const members = Array.from({ length: 5_000 }, (_, i) => `"k${i}":"v\\u00e9\\n${i}"`).join(',');
    assert.equal(fast(() => fields(`{${members}}`)).size, 5_000);
    const long = `{"a":"${'\\"'.repeat(125_000)}"}`;
    assert.equal((fast(() => fields(long)).get('a') as { value: string }).value.length, 125_000);
    const wide = `{"a":[${Array(50_000).fill(' 1.0 ').join(',')}]}`;
    assert.equal(fast(() => fields(wide)).get('a')?.kind, 'raw');
  });

  test('random input never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]":,\\u0123456789.eE-+ tfrulasn\ud800\udc00'.split('')) }), (s) => {
        const r = parseTopLevel(s);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: flat objects round-trip to their signed text', () => {
  const goodString = fc.string({ unit: 'binary', maxLength: 12 });
  // JSON number tokens as a client library might write them, including forms JSON.stringify never emits.
  const numberText = fc
    .tuple(
      fc.boolean(),
      fc.oneof(fc.constant('0'), fc.bigInt({ min: 1n, max: 10n ** 20n }).map(String)),
      fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,3}$/)), { nil: undefined }),
    )
    .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}${exp ? exp.join('') : ''}`);
  // Each code unit either raw (JSON.stringify's choice) or as a \u escape: both decode to the same string.
  const encodeString = (s: string, escapeMask: number) =>
    '"' +
    [...s]
      .map((ch, i) =>
        (escapeMask >> (i % 30)) & 1
          ? Array.from({ length: ch.length }, (_, j) => `\\u${ch.charCodeAt(j).toString(16).padStart(4, '0')}`).join('')
          : JSON.stringify(ch).slice(1, -1),
      )
      .join('') +
    '"';
  const ws = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
  const member = fc.record({
    key: goodString,
    value: fc.oneof(
      goodString.map((v) => ({ kind: 'string' as const, v })),
      numberText.map((v) => ({ kind: 'number' as const, v })),
    ),
    mask: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
    pad: fc.tuple(ws, ws, ws, ws),
  });

  test('fieldsForSigning(parseTopLevel(text)) equals the decoded values, numbers as source text', () => {
    fc.assert(
      fc.property(fc.uniqueArray(member, { selector: (m) => m.key, maxLength: 12 }), ws, (members, outer) => {
        const text =
          outer +
          '{' +
          members
            .map(
              ({ key, value, mask, pad: [a, b, c, d] }) =>
                `${a}${encodeString(key, mask)}${b}:${c}${value.kind === 'string' ? encodeString(value.v, ~mask) : value.v}${d}`,
            )
            .join(',') +
          '}' +
          outer;
        const r = parseTopLevel(text);
        assert.ok(r.ok, `${text}: ${!r.ok && r.reason}`);
        const expected = new Map(members.map((m) => [m.key, m.value.v]));
        assert.deepEqual(fieldsForSigning(r.fields), expected);
        // Strings agree with JSON.parse too (it only loses number text, never string content).
        const parsed = JSON.parse(text) as Record<string, unknown>;
        for (const m of members) if (m.value.kind === 'string') assert.equal(parsed[m.key], m.value.v);
      }),
      { numRuns: 500 },
    );
  });
});
