/**
 * APIv2 XML bodies (wechatpay-v2.md §1-§2): a small strict tokenizer for the flat `<xml><name>value</name>…</xml>`
 * shape, and the compact emitter for responses and notifications.
 *
 * Hand-written rather than fast-xml-parser because the spec's value rules (CDATA and text concatenated,
 * whitespace-only text dropped only next to CDATA, otherwise verbatim) are not expressible through a generic
 * parser's options, and because a tokenizer that only knows this shape cannot be talked into DTDs, entity
 * expansion or deep recursion. Every scan is a forward `indexOf`/char loop, so the work is linear in the input.
 */

export const MAX_XML_BODY_BYTES = 64 * 1024;

/** The return-level `return_msg` of each input failure (§1-§2). */
export const XML_RETURN_MSG = {
  empty: 'post数据为空',
  tooLarge: '请求体过大',
  badEncoding: '编码格式错误',
  badXml: 'XML格式错误',
  duplicate: '参数格式校验错误',
} as const;

export type XmlParseResult = { ok: true; params: Record<string, string> } | { ok: false; returnMsg: string };

// Checked on the raw text, before any parsing: a DTD is the only way in for XXE and entity bombs, and no client
// has a reason to send one. Literal regex without quantifiers, so it cannot backtrack.
const DTD_MARKER = /<!(?:doctype|entity)/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a request body. Never throws: every failure is a `return_msg` for a return-level FAIL.
 * Checks run in the order of §1-§2: empty → size → encoding → DTD → structure → duplicate names.
 */
export function parseXmlBody(raw: Buffer): XmlParseResult {
  if (raw.length === 0) return fail(XML_RETURN_MSG.empty);
  if (raw.length > MAX_XML_BODY_BYTES) return fail(XML_RETURN_MSG.tooLarge);
  let text: string;
  try {
    // The default (ignoreBOM=false) strips a leading UTF-8 BOM, which some Windows clients prepend.
    text = utf8.decode(raw);
  } catch {
    return fail(XML_RETURN_MSG.badEncoding);
  }
  // A body of only whitespace carries no data either; treat it like an empty one (P).
  if (isXmlWhitespace(text, 0, text.length)) return fail(XML_RETURN_MSG.empty);
  return parseXmlText(text);
}

/**
 * Structural parse of already-decoded text, without the transport checks (size, encoding). `rootName` lets the
 * same rules read other flat documents, e.g. the `<root>` inside a decrypted refund notification (§8.2).
 */
export function parseXmlText(text: string, rootName = 'xml'): XmlParseResult {
  // XML 1.0 has no NUL character, raw or as a reference; nothing downstream (PostgreSQL text) could hold one.
  if (DTD_MARKER.test(text) || text.includes('\u0000')) return fail(XML_RETURN_MSG.badXml);
  try {
    const doc = new FlatDocument(text).parse(rootName);
    if (doc.duplicate) return fail(XML_RETURN_MSG.duplicate);
    // fromEntries defines own properties, so a child named `__proto__` is data, not a prototype switch.
    return { ok: true, params: Object.fromEntries(doc.values) };
  } catch {
    // MalformedXml from the tokenizer; anything unexpected is also the client's malformed input, never a 500.
    return fail(XML_RETURN_MSG.badXml);
  }
}

function fail(returnMsg: string): XmlParseResult {
  return { ok: false, returnMsg };
}

class MalformedXml extends Error {}

interface Segment {
  readonly cdata: boolean;
  readonly text: string;
  /** Literal whitespace only (judged before entity decoding: `&#32;` is deliberate content). */
  readonly blank: boolean;
}

/** Cursor over one document; throws MalformedXml on anything outside the flat shape. */
class FlatDocument {
  private pos = 0;
  readonly values = new Map<string, string>();
  /** Duplicates are reported only if the whole document is well-formed, so "malformed" wins over "duplicate". */
  duplicate = false;

  constructor(private readonly s: string) {}

  parse(rootName: string): this {
    this.skipMisc();
    this.expect('<');
    if (this.readName() !== rootName) throw new MalformedXml();
    if (this.readTagRest() === 'open') this.parseChildren(rootName);
    this.skipMisc();
    if (this.pos !== this.s.length) throw new MalformedXml();
    return this;
  }

  private parseChildren(rootName: string): void {
    const seen = new Set<string>();
    for (;;) {
      this.skipWhitespace();
      if (this.startsWith('</')) {
        this.pos += 2;
        this.closeTag(rootName);
        return;
      }
      if (this.skipCommentOrPi()) continue;
      // Non-whitespace text or CDATA directly under the root is mixed content: not a parameter list.
      if (this.s[this.pos] !== '<' || this.startsWith('<!')) throw new MalformedXml();
      this.pos++;
      const name = this.readName();
      const value = this.readTagRest() === 'open' ? this.readValue(name) : '';
      if (seen.has(name)) this.duplicate = true;
      seen.add(name);
      // Empty element = absent everywhere (§2), so it never reaches signing or validation.
      if (value !== '') this.values.set(name, value);
    }
  }

  /** Content of a child element up to its end tag; any element start inside it is nesting → malformed. */
  private readValue(name: string): string {
    const parts: Segment[] = [];
    let hasCdata = false;
    for (;;) {
      if (this.pos >= this.s.length) throw new MalformedXml();
      if (this.s[this.pos] !== '<') {
        const end = this.s.indexOf('<', this.pos);
        if (end === -1) throw new MalformedXml();
        const raw = this.s.slice(this.pos, end);
        parts.push({ cdata: false, text: decodeEntities(raw), blank: isXmlWhitespace(raw, 0, raw.length) });
        this.pos = end;
      } else if (this.startsWith('<![CDATA[')) {
        const end = this.s.indexOf(']]>', this.pos + 9);
        if (end === -1) throw new MalformedXml();
        parts.push({ cdata: true, text: this.s.slice(this.pos + 9, end), blank: false });
        hasCdata = true;
        this.pos = end + 3;
      } else if (this.startsWith('</')) {
        this.pos += 2;
        this.closeTag(name);
        break;
      } else if (!this.skipCommentOrPi()) {
        throw new MalformedXml();
      }
    }
    // Pretty-printers put newlines/indentation around CDATA; that layout is not part of the value (§2, P).
    const kept = hasCdata ? parts.filter((p) => p.cdata || !p.blank) : parts;
    return kept.map((p) => p.text).join('');
  }

  /** After `</`: the name must match the open tag, then optional whitespace and `>`. */
  private closeTag(expected: string): void {
    if (this.readName() !== expected) throw new MalformedXml();
    this.skipWhitespace();
    this.expect('>');
  }

  /** After an element name: attributes (syntax-checked, ignored), then `>` or `/>`. */
  private readTagRest(): 'open' | 'empty' {
    for (;;) {
      const hadSpace = this.skipWhitespace();
      if (this.s[this.pos] === '>') {
        this.pos++;
        return 'open';
      }
      if (this.startsWith('/>')) {
        this.pos += 2;
        return 'empty';
      }
      if (!hadSpace) throw new MalformedXml();
      this.readName();
      this.skipWhitespace();
      this.expect('=');
      this.skipWhitespace();
      const quote = this.s[this.pos];
      if (quote !== '"' && quote !== "'") throw new MalformedXml();
      const end = this.s.indexOf(quote, this.pos + 1);
      if (end === -1) throw new MalformedXml();
      const value = this.s.slice(this.pos + 1, end);
      if (value.includes('<')) throw new MalformedXml();
      decodeEntities(value); // validates references; attribute values carry no parameters
      this.pos = end + 1;
    }
  }

  /** Prolog/epilog: whitespace, comments and processing instructions (the `<?xml …?>` declaration is one). */
  private skipMisc(): void {
    do this.skipWhitespace();
    while (this.skipCommentOrPi());
  }

  private skipCommentOrPi(): boolean {
    const [open, close] = this.startsWith('<!--') ? ['<!--', '-->'] : this.startsWith('<?') ? ['<?', '?>'] : [];
    if (open === undefined || close === undefined) return false;
    const end = this.s.indexOf(close, this.pos + open.length);
    if (end === -1) throw new MalformedXml();
    this.pos = end + close.length;
    return true;
  }

  private readName(): string {
    const start = this.pos;
    if (start >= this.s.length || !isNameStart(this.s.charCodeAt(start))) throw new MalformedXml();
    let i = start + 1;
    while (i < this.s.length && isNameChar(this.s.charCodeAt(i))) i++;
    this.pos = i;
    return this.s.slice(start, i);
  }

  private skipWhitespace(): boolean {
    const start = this.pos;
    while (this.pos < this.s.length && isWs(this.s.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  private expect(ch: string): void {
    if (this.s[this.pos] !== ch) throw new MalformedXml();
    this.pos++;
  }

  private startsWith(token: string): boolean {
    return this.s.startsWith(token, this.pos);
  }
}

const PREDEFINED = new Map(Object.entries({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }));

/** Decodes the five predefined entities and numeric references; anything else (`&nbsp;`, bare `&`) is malformed. */
function decodeEntities(raw: string): string {
  let amp = raw.indexOf('&');
  if (amp === -1) return raw;
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const semi = raw.indexOf(';', amp + 1);
    // No valid reference is longer than `&#x10FFFF;`. A miss throws at once, so the scans stay linear overall.
    if (semi === -1 || semi - amp > 10) throw new MalformedXml();
    out += raw.slice(from, amp) + decodeReference(raw.slice(amp + 1, semi));
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

function decodeReference(ref: string): string {
  const named = PREDEFINED.get(ref);
  if (named !== undefined) return named;
  let code: number;
  if (/^#x[0-9a-fA-F]{1,6}$/.test(ref)) code = parseInt(ref.slice(2), 16);
  else if (/^#[0-9]{1,7}$/.test(ref)) code = parseInt(ref.slice(1), 10);
  else throw new MalformedXml();
  // XML 1.0 `Char`: no NUL/C0 controls except tab/LF/CR, no surrogates, no U+FFFE/FFFF.
  const legal =
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
  if (!legal) throw new MalformedXml();
  return String.fromCodePoint(code);
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isXmlWhitespace(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isWs(s.charCodeAt(i))) return false;
  return true;
}

// ASCII subset of XML names plus any non-ASCII code unit: strict enough to find tag boundaries, lenient enough
// never to refuse a name a real XML library would accept.
function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a || c >= 0x80;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
}

const EMIT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Compact `<xml>…</xml>` without declaration (§1, §4): strings in CDATA, numbers bare, absent and empty values
 * skipped (§4 "never emit empty elements"). Throws only on programming errors (bad name, non-finite number).
 */
export function buildXml(fields: Record<string, string | number | undefined | null>): string {
  let out = '<xml>';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null || value === '') continue;
    if (!EMIT_NAME.test(name)) throw new TypeError(`invalid XML element name: ${JSON.stringify(name)}`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new RangeError(`${name} is not a finite number`);
      out += `<${name}>${String(value)}</${name}>`;
    } else {
      out += `<${name}>${cdata(value)}</${name}>`;
    }
  }
  return `${out}</xml>`;
}

/** One or more adjacent CDATA sections: `]]>` is split across two, which parsers concatenate back. */
function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}
