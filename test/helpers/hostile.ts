/**
 * Hostile input for fuzz tests (fast-check arbitraries): XML bombs and XXE, DOCTYPE, deep nesting, oversize and
 * non-UTF-8 bodies, wrong JSON types, numbers no parser keeps exactly, `__proto__` keys, control characters; and a
 * small mutation engine that turns a valid request (JSON object or flat parameter map) into a hostile one.
 */
import fc from 'fast-check';

/** A JSON token written as is (numbers JSON.stringify cannot produce, deep nesting, duplicate keys). */
export class Raw {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text.length > 60 ? `Raw(${this.text.slice(0, 30)}…${this.text.length} chars)` : `Raw(${this.text})`;
  }
}

/** JSON text of a value that may contain Raw tokens and own `__proto__` keys. */
export function jsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  return `{${Object.keys(value)
    .map((k) => `${JSON.stringify(k)}:${jsonText((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/** An object with `key` as an own, enumerable property, even for `__proto__`. */
export function withOwnKey<T extends object>(obj: T, key: string, value: unknown): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

const nested = (open: string, close: string, n: number, inner = '') => open.repeat(n) + inner + close.repeat(n);

// ---------------------------------------------------------------- XML

export const XML_BOMB =
  `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
  `<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
  `<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">` +
  `<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">` +
  `<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>` +
  `<xml><appid>&lol9;</appid><mch_id>&lol9;</mch_id></xml>`;

/** Hostile XML documents, each with a `{{FIELDS}}` slot for otherwise plausible parameters. */
export const XML_ATTACKS: readonly string[] = [
  XML_BOMB,
  `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml>{{FIELDS}}<body>&xxe;</body></xml>`,
  `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % dtd SYSTEM "http://127.0.0.1:9/evil.dtd"> %dtd;]><xml>{{FIELDS}}</xml>`,
  `<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml>{{FIELDS}}</xml>`,
  `<!doctype xml><xml>{{FIELDS}}</xml>`,
  `<?xml version="1.0"?>\n<!-- c --><!DOCTYPE  xml  [ ]><xml>{{FIELDS}}</xml>`,
  `<xml>{{FIELDS}}<!ENTITY x "y"></xml>`,
  `<xml>{{FIELDS}}<body>&#x0;&#xD800;&#1114112;&unknown;&amp</body></xml>`,
  `<xml>{{FIELDS}}<body><![CDATA[a]]]]><![CDATA[>b]]></body></xml>`,
  `<xml>{{FIELDS}}<body><a>nested</a></body></xml>`,
  `<xml>{{FIELDS}}<body attr="1" attr="2">x</body></xml>`,
  `<xml>{{FIELDS}}<body>x</BODY></xml>`,
  `<xml>{{FIELDS}}`,
  `<xml>{{FIELDS}}</xml><xml></xml>`,
  `<xml>{{FIELDS}}</xml>trailing`,
  `<root>{{FIELDS}}</root>`,
  `<?xml version="1.0" encoding="GBK"?><xml>{{FIELDS}}</xml>`,
  `<xml xmlns:x="urn:x">{{FIELDS}}<x:body>1</x:body></xml>`,
  `<xml>{{FIELDS}}<?php system('id'); ?></xml>`,
  `\uFEFF<xml>{{FIELDS}}</xml>`,
  `<xml>{{FIELDS}}<appid>dup</appid><appid>dup</appid></xml>`,
  `<xml>{{FIELDS}}<__proto__><polluted>1</polluted></__proto__></xml>`,
  `<xml>{{FIELDS}}<__proto__>1</__proto__><constructor>x</constructor><hasOwnProperty>1</hasOwnProperty></xml>`,
  `<xml>${nested('<a>', '</a>', 20_000)}</xml>`,
  `<xml>${'<a/>'.repeat(15_000)}</xml>`,
  nested('<xml>', '</xml>', 5_000),
  `<xml><${'n'.repeat(60_000)}>1</${'n'.repeat(60_000)}></xml>`,
];

// ---------------------------------------------------------------- bodies

const big = (n: number, fill = 'a') => Buffer.alloc(n, fill);

/** Bodies that are hostile whatever the dialect. */
export const HOSTILE_BODIES: readonly Buffer[] = [
  Buffer.alloc(0),
  Buffer.from(' \r\n\t '),
  big(64 * 1024 + 1, '<'),
  big(65 * 1024, '{'),
  Buffer.concat([Buffer.from('{"a":"'), big(70 * 1024, 'x'), Buffer.from('"}')]),
  Buffer.concat([Buffer.from('<xml><body>'), big(70 * 1024, 'x'), Buffer.from('</body></xml>')]),
  big(1024 * 1024 + 16, 'x'),
  Buffer.from([0xff, 0xfe, 0x3c, 0x00, 0x78, 0x00]),
  Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
  Buffer.from([0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]),
  Buffer.from([0xc0, 0xbc, 0xe0, 0x80, 0xbc]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.concat([Buffer.from('<xml><appid>'), Buffer.from([0xff, 0xfe]), Buffer.from('</appid></xml>')]),
  Buffer.concat([Buffer.from('{"app_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
  Buffer.from('\u0000\u0000\u0000'),
  Buffer.from(nested('[', ']', 30_000)),
  Buffer.from(`{"a":${nested('{"a":', '}', 9_000, '1')}}`),
  Buffer.from(nested('{"x":[', ']}', 6_000)),
  Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
  Buffer.from('{"a":1,"a":2,"a":{"b":3}}'),
  Buffer.from('{"amount":1e400,"n":-1e400,"m":123456789012345678901234567890,"z":-0,"f":1.0000000000000000001}'),
  Buffer.from('{"a":NaN,"b":Infinity,"c":undefined}'),
  Buffer.from('{"a":"\\ud800","b":"\\udc00\\ud800","c":"\\u0000"}'),
  Buffer.from('[1,2,3]'),
  Buffer.from('"just a string"'),
  Buffer.from('null'),
  Buffer.from('{'),
  Buffer.from('{"a":1}garbage'),
  Buffer.from('a=1&a=2&__proto__=x&constructor=y&%zz=1&=&&b=%E4%B8'),
  Buffer.from(`app_id=%00&method=%ff%fe&sign=${'%'.repeat(500)}`),
  Buffer.from(`${'a=1&'.repeat(20_000)}`),
  Buffer.from(XML_BOMB),
];

/** Content-Type values, absent included (undefined). */
export const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/xml',
  'application/xml; charset=GBK',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'text/plain',
  'application/octet-stream',
  'application/json; charset=utf-16',
  ';;;',
  'application/',
  '*/*',
  'a'.repeat(2000),
  'application/json, text/xml',
  'application/vnd.api+json',
  'text/xml; charset="',
  '\u00e9/\u00e9',
];

// ---------------------------------------------------------------- values

const TEXTS = [
  '',
  ' ',
  '\u0000',
  '\t\n',
  '0',
  '-1',
  '1.5',
  '1e3',
  '1e400',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '<',
  '&',
  ']]>',
  '%00',
  '../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${7*7}',
  "' OR 1=1 --",
  '\u202e',
  '\ufeff',
  '\ud800',
  '😀',
  '中文',
  'x'.repeat(129),
  'x'.repeat(5000),
  '9'.repeat(40),
  '00000000000000000001',
  '-0',
  '+1',
  ' 1',
  '1 ',
  '0x10',
  '１２３',
  '1,000',
  '1_000',
];

/** A hostile string value (flat parameters: XML, form, query). */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TEXTS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
);

const RAW_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890', '9007199254740993', '1.0', '1E2', '-0', '0.1e-400', '1.5', '-1', '0'];
const DEEP = [
  new Raw(nested('[', ']', 100)),
  new Raw(nested('[', ']', 5_000)),
  new Raw(nested('[', ']', 25_000)),
  new Raw(nested('{"a":', '}', 2_000, '1')),
  new Raw(nested('{"a":[', ']}', 4_000)),
];

const protoObject = () => withOwnKey({}, '__proto__', { polluted: true });

/** A hostile JSON value (JSON bodies): wrong types, inexact numbers, deep nesting, prototype keys. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53, Number.MAX_VALUE, [], {}, [1, 2], { a: 1 }, '', '0', '100') },
  { weight: 3, arbitrary: hostileText },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t)) },
  { weight: 1, arbitrary: fc.constantFrom(...DEEP) },
  { weight: 1, arbitrary: fc.constant(null).map(protoObject) },
  { weight: 1, arbitrary: fc.constant({ constructor: { prototype: { polluted: true } } }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 4 }) },
);

/** Names an attacker adds to objects and parameter lists. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'sign', 'sign_type', 'mchid', 'appid'),
  fc.string({ minLength: 1, maxLength: 12 }),
);

// ---------------------------------------------------------------- mutations

export type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: unknown };

export const jsonMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileJson }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: hostileKey, value: hostileJson }) },
);

export const textMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileText }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: hostileKey, value: hostileText }) },
);

/** Every (parent object, key) of a JSON object tree, the root's keys first. */
function slots(root: Record<string, unknown>): [Record<string, unknown>, string][] {
  const out: [Record<string, unknown>, string][] = [];
  const walk = (o: Record<string, unknown>) => {
    for (const k of Object.keys(o)) {
      out.push([o, k]);
      const v = o[k];
      if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw)) walk(v as Record<string, unknown>);
    }
  };
  walk(root);
  return out;
}

function objects(root: Record<string, unknown>): Record<string, unknown>[] {
  const out = [root];
  for (const [parent, key] of slots(root)) {
    const v = parent[key];
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw)) out.push(v as Record<string, unknown>);
  }
  return out;
}

/** A deep copy that keeps Raw tokens and own `__proto__` keys. */
export function clone<T>(value: T): T {
  if (value instanceof Raw || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const out = {};
  for (const k of Object.keys(value)) withOwnKey(out, k, clone((value as Record<string, unknown>)[k]));
  return out as T;
}

/** Applies mutations to a (cloned) JSON object or flat parameter map, in place. */
export function mutate(root: Record<string, unknown>, mutations: readonly Mutation[]): void {
  for (const m of mutations) {
    if (m.kind === 'add') {
      const targets = objects(root);
      withOwnKey(targets[m.at % targets.length]!, m.key, clone(m.value));
      continue;
    }
    const all = slots(root);
    if (all.length === 0) continue;
    const [parent, key] = all[m.at % all.length]!;
    if (m.kind === 'delete') delete parent[key];
    else withOwnKey(parent, key, clone(m.value));
  }
}
