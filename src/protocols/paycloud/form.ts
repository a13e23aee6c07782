/**
 * `application/x-www-form-urlencoded` bodies, as the current PayCloud Java SDK posts them (paycloud-openapi.md §1).
 *
 * The decoded values are what the client signed (§3.1), so decoding must be exact and unambiguous: a malformed
 * percent sequence, bytes that are not UTF-8, or a repeated name make the whole body unusable (`null`) rather
 * than silently repaired into something the client never signed.
 */

// `fatal` refuses invalid UTF-8 instead of substituting U+FFFD; `ignoreBOM` keeps a leading %EF%BB%BF as data.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// With the `u` flag a valid surrogate pair is one code point, so this matches only *lone* surrogates, which have
// no UTF-8 encoding and so cannot have come from a real request.
const LONE_SURROGATE = /\p{Cs}/u;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decodes one name or value: `+` is a space, `%XX` a byte; the bytes must form UTF-8. */
function decodeComponent(text: string): string | null {
  const plain = text.replace(/\+/g, ' ');
  if (!plain.includes('%')) return plain;
  const bytes: number[] = [];
  let runStart = 0;
  const flushRun = (end: number) => {
    if (end > runStart) for (const b of Buffer.from(plain.slice(runStart, end), 'utf8')) bytes.push(b);
  };
  for (let i = 0; i < plain.length; i++) {
    if (plain.charCodeAt(i) !== 0x25) continue;
    const hi = hexValue(plain.charCodeAt(i + 1));
    const lo = hexValue(plain.charCodeAt(i + 2));
    // `%` not followed by two hex digits: browsers pass it through, but a signer never produced it; refuse.
    if (hi < 0 || lo < 0) return null;
    flushRun(i);
    bytes.push(hi * 16 + lo);
    i += 2;
    runStart = i + 1;
  }
  flushRun(plain.length);
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/**
 * Parses a form body into name → value. Returns `null` for invalid percent-encoding, invalid UTF-8, an empty
 * name, or a repeated name. Empty segments (`a=1&&b=2`, a trailing `&`) are skipped; a segment without `=` is a
 * name with an empty value, as in the URL standard.
 */
export function parseForm(text: string): Map<string, string> | null {
  if (LONE_SURROGATE.test(text)) return null;
  // A Map, not an object: `__proto__` and friends are ordinary names.
  const fields = new Map<string, string>();
  if (text === '') return fields;
  for (const segment of text.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = decodeComponent(eq < 0 ? segment : segment.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(segment.slice(eq + 1));
    if (name === null || value === null || name === '') return null;
    // Which of two values the client signed is unknowable, so the body is ambiguous.
    if (fields.has(name)) return null;
    fields.set(name, value);
  }
  return fields;
}
