/**
 * Lossless JSON tokenizer for PayCloud request bodies (paycloud-openapi.md §3.1).
 *
 * `JSON.parse` turns `1.0` into `1`, but the client signed the text `1.0`, so verification needs each top-level
 * value's *source text*. This tokenizer reads one top-level object and keeps, per member, either the decoded string,
 * the raw number token, the literal, or (for nested objects/arrays) the source text minus insignificant whitespace.
 *
 * Strict on purpose: anything a conforming JSON library would not have produced is refused with a reason instead
 * of guessed at, and it never throws to its caller. One forward pass, no backtracking: time is linear in the input.
 */

export type RawValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; text: 'true' | 'false' }
  | { kind: 'null' }
  | { kind: 'raw'; text: string };

export type ParseTopLevelResult = { ok: true; fields: Map<string, RawValue> } | { ok: false; reason: string };

/** Nesting limit, counting the top-level object as depth 1. Bounds recursion, so hostile input cannot blow the stack. */
export const MAX_JSON_DEPTH = 32;

/** Internal only: unwinds to `parseTopLevel`, which turns it into `{ ok: false }`. */
class JsonSyntaxError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

// JSON number grammar (RFC 8259 §6), sticky so it matches exactly at the cursor. No leading zeros, no `+`, no
// bare `.`: the tokens a real JSON library emits, which are also the only ones the client could have signed.
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

class Tokenizer {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.i}`);
  }

  skipWhitespace(): void {
    const s = this.s;
    let i = this.i;
    // Exactly the four JSON whitespace characters; NBSP, BOM etc. are not insignificant whitespace.
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
    this.i = i;
  }

  expect(ch: string): void {
    if (this.s[this.i] !== ch) this.fail(`expected '${ch}'`);
    this.i++;
  }

  /** Reads a string token at the cursor (on its opening quote); returns the decoded value. */
  readString(): string {
    const s = this.s;
    this.expect('"');
    const parts: string[] = [];
    let runStart = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) break;
      if (c < 0x20) this.fail('unescaped control character in string');
      if (c === 0x5c) {
        parts.push(s.slice(runStart, this.i));
        parts.push(this.readEscape());
        runStart = this.i;
        continue;
      }
      if (isHighSurrogate(c)) {
        if (!isLowSurrogate(s.charCodeAt(this.i + 1))) this.fail('lone surrogate in string');
        this.i += 2;
        continue;
      }
      if (isLowSurrogate(c)) this.fail('lone surrogate in string');
      this.i++;
    }
    parts.push(s.slice(runStart, this.i));
    this.i++; // closing quote
    return parts.length === 1 ? parts[0] : parts.join('');
  }

  /** Reads one escape (cursor on the backslash). A `\uD8xx` must be followed by a `\uDCxx` escape, and vice versa. */
  readEscape(): string {
    const s = this.s;
    const e = s[this.i + 1];
    if (e === undefined) this.fail('unterminated escape');
    if (e !== 'u') {
      const simple = SIMPLE_ESCAPES[e];
      if (simple === undefined) this.fail(`invalid escape \\${e}`);
      this.i += 2;
      return simple;
    }
    const unit = this.readHex4(this.i + 2);
    this.i += 6;
    if (isLowSurrogate(unit)) this.fail('lone surrogate escape');
    if (!isHighSurrogate(unit)) return String.fromCharCode(unit);
    if (s[this.i] !== '\\' || s[this.i + 1] !== 'u') this.fail('lone surrogate escape');
    const low = this.readHex4(this.i + 2);
    if (!isLowSurrogate(low)) this.fail('lone surrogate escape');
    this.i += 6;
    return String.fromCharCode(unit, low);
  }

  readHex4(at: number): number {
    const hex = this.s.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('invalid \\u escape');
    return parseInt(hex, 16);
  }

  readNumber(): string {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('invalid number');
    this.i += m[0].length;
    // `01`, `1.`, `1e`, `-` leave a digit/dot/e right after the longest valid prefix: refuse rather than split.
    const next = this.s.charCodeAt(this.i);
    if ((next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x65 || next === 0x45 || next === 0x2b || next === 0x2d) {
      this.fail('invalid number');
    }
    return m[0];
  }

  readLiteral(word: 'true' | 'false' | 'null'): void {
    if (!this.s.startsWith(word, this.i)) this.fail('unexpected token');
    this.i += word.length;
  }

  /**
   * Appends the compact source text of the value at the cursor to `out`: strings are copied verbatim (escapes
   * as sent, only validated), whitespace between tokens is dropped. `depth` is the depth of the value's container.
   */
  writeCompact(out: string[], depth: number): void {
    const s = this.s;
    const c = s[this.i];
    if (c === '"') {
      const start = this.i;
      this.readString();
      out.push(s.slice(start, this.i));
    } else if (c === '{' || c === '[') {
      if (depth + 1 > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
      const close = c === '{' ? '}' : ']';
      out.push(c);
      this.i++;
      this.skipWhitespace();
      if (s[this.i] === close) {
        this.i++;
        out.push(close);
        return;
      }
      for (;;) {
        if (c === '{') {
          const keyStart = this.i;
          if (s[this.i] !== '"') this.fail('expected a member name');
          this.readString();
          out.push(s.slice(keyStart, this.i), ':');
          this.skipWhitespace();
          this.expect(':');
          this.skipWhitespace();
        }
        this.writeCompact(out, depth + 1);
        this.skipWhitespace();
        if (s[this.i] === ',') {
          this.i++;
          out.push(',');
          this.skipWhitespace();
          continue;
        }
        this.expect(close);
        out.push(close);
        return;
      }
    } else if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      this.readLiteral(word);
      out.push(word);
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      out.push(this.readNumber());
    } else {
      this.fail(c === undefined ? 'unexpected end of input' : 'unexpected token');
    }
  }

  /** A top-level member value (the top-level object is depth 1). */
  readTopValue(): RawValue {
    const c = this.s[this.i];
    if (c === '"') return { kind: 'string', value: this.readString() };
    if (c === 't' || c === 'f') {
      const word = c === 't' ? 'true' : 'false';
      this.readLiteral(word);
      return { kind: 'bool', text: word };
    }
    if (c === 'n') {
      this.readLiteral('null');
      return { kind: 'null' };
    }
    if (c === '{' || c === '[') {
      const out: string[] = [];
      this.writeCompact(out, 1);
      return { kind: 'raw', text: out.join('') };
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return { kind: 'number', text: this.readNumber() };
    this.fail(c === undefined ? 'unexpected end of input' : 'unexpected token');
  }

  readTopLevel(): Map<string, RawValue> {
    // A Map, not an object: member names such as `__proto__` or `constructor` are ordinary keys here.
    const fields = new Map<string, RawValue>();
    this.skipWhitespace();
    if (this.s[this.i] !== '{') this.fail('body is not a JSON object');
    this.i++;
    this.skipWhitespace();
    if (this.s[this.i] === '}') {
      this.i++;
    } else {
      for (;;) {
        if (this.s[this.i] !== '"') this.fail('expected a member name');
        const keyAt = this.i;
        const key = this.readString();
        // Duplicates are compared after decoding (`"a"` and `"\u0061"` are the same name): which one a client's
        // signer saw is unknowable, so the body is ambiguous and refused.
        if (fields.has(key)) {
          this.i = keyAt;
          this.fail(`duplicate member ${JSON.stringify(key)}`);
        }
        this.skipWhitespace();
        this.expect(':');
        this.skipWhitespace();
        fields.set(key, this.readTopValue());
        this.skipWhitespace();
        if (this.s[this.i] === ',') {
          this.i++;
          this.skipWhitespace();
          continue;
        }
        this.expect('}');
        break;
      }
    }
    this.skipWhitespace();
    if (this.i !== this.s.length) this.fail('trailing characters after the object');
    return fields;
  }
}

/**
 * Parses a JSON body that must be one object, keeping each top-level value's source text (§3.1).
 * Never throws: malformed, ambiguous (duplicate names) or too deeply nested input yields `{ ok: false, reason }`.
 */
export function parseTopLevel(text: string): ParseTopLevelResult {
  try {
    return { ok: true, fields: new Tokenizer(text).readTopLevel() };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, reason: err.message };
    // Not expected (the depth limit bounds recursion); still honour the non-throwing contract.
    return { ok: false, reason: err instanceof Error ? err.message : 'unparseable body' };
  }
}
