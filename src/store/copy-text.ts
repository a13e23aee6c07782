/**
 * Rows in the text format of PostgreSQL's `COPY … FROM STDIN`: columns separated by tabs, rows ended by a newline,
 * `\N` for null, and a backslash before the characters the format gives a meaning (backslash, tab, newline,
 * carriage return). pg-copy-streams carries the bytes and leaves the format to its caller; this is the whole of it
 * (PostgreSQL's documentation, COPY, "Text Format").
 */

/** A column's value as COPY reads it: text, a number, or null. */
export type CopyValue = string | number | null;

const SPECIAL = /[\\\t\n\r]/; // not global: a global expression's test() carries lastIndex from one string to the next
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPED: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function copyField(v: CopyValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') {
    // NaN and the infinities have spellings PostgreSQL reads for real columns only; a row of the log never has one.
    if (!Number.isFinite(v)) throw new TypeError(`COPY value ${v} is not a finite number`);
    return String(v);
  }
  // U+0000 cannot travel (PostgreSQL text cannot hold it): callers replace it first, as the request log does.
  return SPECIAL.test(v) ? v.replace(SPECIALS, (c) => ESCAPED[c] ?? c) : v;
}

/** One row: its fields in the order of the COPY statement's column list, ended by a newline. */
export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + copyField(values[i] ?? null);
  return `${line}\n`;
}
