import { createRequire } from 'node:module';

const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(value: unknown): unknown };

/**
 * Parameters written into SQL text as literals, for statements that share one simple-protocol round trip
 * (database.ts). Every value becomes a quoted literal of unknown type, exactly as node-postgres sends a parameter
 * (as text, type left to the server): `42` and `'42'` resolve against the column the same way.
 */

/**
 * `E'…'` with every backslash and quote doubled: no escape sequence survives, whatever standard_conforming_strings
 * says. The text inside is exactly what node-postgres would send as the parameter (its own prepareValue: arrays as
 * `{…}`, objects as JSON, booleans as `true`/`false`).
 */
export function sqlLiteral(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
  const text = pgUtils.prepareValue(value) as string | Buffer | null;
  if (text === null) return 'NULL';
  if (typeof text !== 'string') throw new TypeError('no SQL literal for binary values'); // the store stores none
  // PostgreSQL text cannot hold U+0000; the store never passes it (sql-store.ts refuses such keys first).
  if (text.includes('\u0000')) throw new TypeError('U+0000 cannot be stored');
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * Replaces `$1…$n` with literals. Only for the store's own statements, whose text holds no quoted `$` of its
 * own; a placeholder without a value is a programming error, not input.
 */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  if (params.length === 0) return sql;
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`no value for $${n}`);
    return sqlLiteral(params[i]);
  });
}
