/**
 * Rows in the text format of PostgreSQL's `COPY`: columns separated by tabs, rows ended by a newline, `\N` for null,
 * and a backslash before the characters the format gives a meaning (backslash, tab, newline, carriage return)
 * (PostgreSQL's documentation, COPY, "Text Format"). The request log stores its batches as such lines: a line is
 * made with no more than string concatenation, a field is found again by splitting, and an escaped value can be
 * searched for inside a batch's text (`strpos`) without reading the batch. Written here: no package on npm writes
 * and reads this format without also carrying a COPY stream, which the log no longer uses.
 */

/** A column's value as COPY reads it: text, a number, or null. */
export type CopyValue = string | number | null;

const SPECIAL = /[\\\t\n\r]/; // not global: a global expression's test() carries lastIndex from one string to the next
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPED: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value as it stands in a line: `\\N` for null, a number as written, text with its special characters escaped. */
export function copyField(v: CopyValue): string {
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

const UNESCAPED: Readonly<Record<string, string>> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/**
 * The fields of one line (without its newline) as text, null for `\\N`: the inverse of `copyLine` for what it
 * writes. A backslash before any other character stands for that character, as COPY reads it.
 */
export function copyFields(line: string): (string | null)[] {
  return line.split('\t').map((f) => (f === '\\N' ? null : f.includes('\\') ? f.replace(/\\(.)/g, (_, c: string) => UNESCAPED[c] ?? c) : f));
}
