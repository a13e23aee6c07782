/**
 * APIv2 request/response signatures (wechatpay-v2.md §3): MD5 or HMAC-SHA256 over the sorted `k=v` string plus
 * `&key=<API key>`, upper-case hex.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SignTypeV2 = 'MD5' | 'HMAC-SHA256';

export const SIGN_RETURN_MSG = {
  badSignType: '签名类型错误',
  badSign: '签名错误',
} as const;

/**
 * A verified request carries the values the signature covers: the exact ones, or (Java SDK fallback) the trimmed
 * ones, which are then the only values the request may use downstream (padding is not signed).
 */
export type VerifyV2Result<P = Readonly<Record<string, string | undefined>>> =
  | { ok: true; signType: SignTypeV2; params: P; trimmed: boolean }
  | { ok: false; returnMsg: string; reason: V2SignRefusal };

/** Why a signature was refused (for the request log; the wire only ever shows `returnMsg`). */
export type V2SignRefusal = 'unknown sign_type' | 'sign missing' | 'sign_type mismatch' | 'signature does not verify';

/**
 * `stringA` of §3: every parameter except `sign`, empty values dropped, names in byte order, raw values
 * (no URL-encoding). Unknown fields stay in: the protocol requires coping with fields added later.
 */
export function signingStringV2(params: Readonly<Record<string, string | undefined>>): string {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (name === 'sign' || value === undefined || value === '') continue;
    entries.push([name, value]);
  }
  // Byte order of the UTF-8 names ("ASCII order" in the docs); plain `<` on strings compares UTF-16 code
  // units, which differs for non-BMP vs. U+E000–U+FFFF. Names are ASCII in practice, so this is exactness only.
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return entries.map(([k, v]) => `${k}=${v}`).join('&');
}

/** The signature of §3 step 6. Also used to sign responses and payment notifications. */
export function signV2(params: Readonly<Record<string, string | undefined>>, key: string, signType: SignTypeV2): string {
  const signTemp = `${signingStringV2(params)}&key=${key}`;
  // HMAC is keyed with the API key *and* still has the `&key=` suffix in its input, exactly as the docs do it.
  const digest = signType === 'HMAC-SHA256' ? createHmac('sha256', key) : createHash('md5');
  return digest.update(signTemp, 'utf8').digest('hex').toUpperCase();
}

/** `sign_type` as sent → algorithm; absent means MD5, anything else is not a signature type (§3). */
export function parseSignTypeV2(value: string | undefined): SignTypeV2 | null {
  if (value === undefined || value === '' || value === 'MD5') return 'MD5';
  if (value === 'HMAC-SHA256') return 'HMAC-SHA256';
  return null;
}

/**
 * Verifies a request's `sign` with the merchant's API key. The returned `signType` is the algorithm the response
 * must be signed with (§4); the returned `params` are the values the signature covers (use them, not the input).
 */
export function verifyV2<P extends Readonly<Record<string, string | undefined>>>(params: P, key: string): VerifyV2Result<P | Record<string, string>> {
  const signType = parseSignTypeV2(params.sign_type);
  if (signType === null) return { ok: false, returnMsg: SIGN_RETURN_MSG.badSignType, reason: 'unknown sign_type' };
  // Case-insensitive (P): some clients lower-case the hex. Surrounding whitespace can only come from layout,
  // since a hex digest never contains any.
  const received = javaTrim(params.sign ?? '').toUpperCase();
  if (received === '') return { ok: false, returnMsg: SIGN_RETURN_MSG.badSign, reason: 'sign missing' };

  if (sameSignature(signV2(params, key, signType), received)) return { ok: true, signType, params, trimmed: false };
  // Compatibility (§3, D-sdk): the official Java SDK signs `value.trim()` and skips values that trim to empty.
  // Retry only when trimming changes the signed set, so an ordinary mismatch costs one digest, not two.
  const trimmed = trimmedParams(params);
  if (trimmed !== null && sameSignature(signV2(trimmed, key, signType), received)) return { ok: true, signType, params: trimmed, trimmed: true };
  // Refused either way; the other algorithm is tried only to tell the developer what went wrong.
  const other: SignTypeV2 = signType === 'MD5' ? 'HMAC-SHA256' : 'MD5';
  const reason = sameSignature(signV2(params, key, other), received) ? 'sign_type mismatch' : 'signature does not verify';
  return { ok: false, returnMsg: SIGN_RETURN_MSG.badSign, reason };
}

/** The string the signature must cover, as the request log shows it: the API key masked (`&key=…`). */
export function maskedSigningStringV2(params: Readonly<Record<string, string | undefined>>): string {
  return `${signingStringV2(params)}&key=…`;
}

function sameSignature(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  // Lengths are public (32 or 64 hex chars); only the content comparison needs to be constant-time.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Values as the Java SDK would sign them, or null when that is the same set as the exact one. */
function trimmedParams(params: Readonly<Record<string, string | undefined>>): Record<string, string> | null {
  const out: Record<string, string> = {};
  let changed = false;
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const t = javaTrim(value);
    if (t !== value) changed = true;
    if (t !== '') Object.defineProperty(out, name, { value: t, enumerable: true, writable: true, configurable: true });
  }
  return changed ? out : null;
}

/**
 * Java's `String.trim()`: strips code units ≤ U+0020 (all C0 controls and space). Not JS `trim()`, which also
 * strips U+3000 and NBSP and would accept signatures the SDK never produced, e.g. for a body ending in a
 * full-width space.
 */
export function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
