/** Wire time formats. WeChat Pay speaks China Standard Time (UTC+8); PayCloud speaks UTC. */
const CST = 8 * 3600_000;

function cstParts(ms: number): string[] {
  const iso = new Date(ms + CST).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ, shifted to CST
  return [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16), iso.slice(17, 19)];
}

/** RFC 3339 with the +08:00 offset: 2018-06-08T10:34:56+08:00 (APIv3). */
export function rfc3339Cst(ms: number): string {
  const [y, mo, d, h, mi, s] = cstParts(ms);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

/** yyyyMMddHHmmss in UTC+8 (APIv2 time_end, time_expire). */
export function compactCst(ms: number): string {
  return cstParts(ms).join('');
}

/** yyyy-MM-dd HH:mm:ss in UTC+8 (APIv2 refund times). */
export function spacedCst(ms: number): string {
  const [y, mo, d, h, mi, s] = cstParts(ms);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

/** Parses RFC 3339 (any offset) to epoch ms; null when malformed. */
export function parseRfc3339(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Parses yyyyMMddHHmmss in UTC+8; null when malformed. */
export function parseCompactCst(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - CST;
  return Number.isNaN(ms) ? null : ms;
}
