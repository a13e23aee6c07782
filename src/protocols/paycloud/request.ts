/**
 * The request envelope (paycloud-openapi.md §1–§3): decode a form or JSON body into the values the client signed,
 * check the common fields, the timestamp window and the signature. Every failure is a PayCloudError (1xxx).
 */
import type { KeyObject } from 'node:crypto';
import { PayCloudError } from './errors.ts';
import { parseForm } from './form.ts';
import { parseTopLevel, type RawValue } from './lossless-json.ts';
import { fieldsForSigning, signingString, verifyPayCloud, verifyRawFields } from './sign.ts';

export const MAX_BODY_BYTES = 64 * 1024;
export const TIMESTAMP_WINDOW_MS = 15 * 60_000;

export interface DecodedBody {
  /** Every top-level value as the client signed it (§3.1); JSON nulls are absent. */
  readonly fields: ReadonlyMap<string, string>;
  /** The JSON members with their kinds, for the §3.1 number fallback; null for form bodies. */
  readonly json: ReadonlyMap<string, RawValue> | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const unsupported = (msg: string) => new PayCloudError('1007', msg);

/** §1: JSON by content type, form by content type; with neither, a body starting with `{` is JSON. */
function isJsonBody(contentType: string | undefined, text: string): boolean {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return true;
  if (type === 'application/x-www-form-urlencoded') return false;
  return /^[\t\n\r ]*\{/.test(text);
}

/** Decodes the body; unusable bodies (not UTF-8, malformed, ambiguous duplicate names) are 1007. */
export function decodeBody(body: unknown, contentType: string | undefined): DecodedBody {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw unsupported('Request body is not UTF-8');
  }
  if (isJsonBody(contentType, text)) {
    const parsed = parseTopLevel(text);
    if (!parsed.ok) throw unsupported(`Request body is not a JSON object: ${parsed.reason}`);
    return { fields: fieldsForSigning(parsed.fields), json: parsed.fields };
  }
  const form = parseForm(text);
  if (!form) throw unsupported('Request body is not a valid form');
  return { fields: form, json: null };
}

export interface CommonFields {
  readonly appId: string;
  readonly method: string;
  readonly sign: string;
  /** The timestamp in epoch ms, whichever unit was sent. */
  readonly timestampMs: number;
}

/** §2: required fields are 1001 when missing; `format`, `charset`, `version`, `sign_type` other than documented are 1007. */
export function commonFields(fields: ReadonlyMap<string, string>): CommonFields {
  const get = (name: string) => fields.get(name) ?? '';
  const format = get('format');
  if (format !== '' && format.toUpperCase() !== 'JSON') throw unsupported(`Unsupported format ${format}`);
  const charset = get('charset');
  if (charset !== '' && !/^utf-?8$/i.test(charset)) throw unsupported(`Unsupported charset ${charset}`);
  const version = get('version');
  if (version !== '' && version !== '1.0') throw unsupported(`Unsupported version ${version}`);
  const signType = get('sign_type');
  // NONE belongs to HTTP Basic authentication (§4), which needs an app secret tradegate does not issue yet.
  if (signType.toUpperCase() === 'NONE') throw new PayCloudError('1002', 'sign_type NONE needs HTTP Basic credentials; use RSA2');
  if (signType !== '' && signType.toUpperCase() !== 'RSA2') throw unsupported(`Unsupported sign_type ${signType}`);
  for (const name of ['app_id', 'method', 'timestamp']) {
    if (get(name) === '') throw new PayCloudError('1001', `Missing required parameter ${name}`);
  }
  const sign = get('sign');
  if (sign === '') throw new PayCloudError('1002', 'Missing sign');
  return { appId: get('app_id'), method: get('method'), sign, timestampMs: timestampMs(get('timestamp')) };
}

/** Epoch milliseconds (13 digits, the Java SDK) or seconds (10 digits, accepted, P). Anything else is 1003. */
function timestampMs(text: string): number {
  if (/^\d{13}$/.test(text)) return Number(text);
  if (/^\d{10}$/.test(text)) return Number(text) * 1000;
  throw new PayCloudError('1003', 'timestamp must be epoch milliseconds');
}

/** ±15 minutes of the wall clock (never the sandbox business clock: clients compare with their own). */
/** Why a timestamp is refused (for the request log), or null when it is inside the window. */
export function timestampRefusal(ms: number, wallNow: number): string | null {
  if (Math.abs(ms - wallNow) <= TIMESTAMP_WINDOW_MS) return null;
  const seconds = Math.round(Math.abs(wallNow - ms) / 1000);
  return `timestamp ${seconds} s ${ms < wallNow ? 'old' : 'in the future'} (window ±${TIMESTAMP_WINDOW_MS / 1000} s)`;
}

/** A verified signature, or the string that should have been signed (for the request log). */
export type RequestVerdict = { ok: true; normalizedNumbers: boolean } | { ok: false; expectedSigningString: string };

/**
 * The signature against the app's public key. JSON bodies get the §3.1 retry with normalized numbers; the caller
 * learns whether that was needed so it can log it (the client is signing numbers differently from sending them).
 * A refusal is the caller's to throw (1002), after it has recorded why.
 */
export async function verifyRequest(body: DecodedBody, sign: string, appPublicKey: KeyObject): Promise<RequestVerdict> {
  if (body.json) {
    const result = await verifyRawFields(body.json, sign, appPublicKey);
    if (result.ok) return { ok: true, normalizedNumbers: result.normalizedNumbers };
  } else if (await verifyPayCloud(body.fields, sign, appPublicKey)) {
    return { ok: true, normalizedNumbers: false };
  }
  return { ok: false, expectedSigningString: signingString(body.fields) };
}

export const BAD_SIGNATURE_MSG = 'Signature verification failed';

/**
 * §1: characters outside the Basic Multilingual Plane (4-byte UTF-8) are refused; so is NUL, which no
 * parameter can carry (and PostgreSQL text cannot store).
 */
export function refuseAstralCharacters(fields: ReadonlyMap<string, string>): void {
  const astral = /[\u{10000}-\u{10FFFF}]/u;
  for (const [name, value] of fields) {
    if (astral.test(name) || astral.test(value)) throw new PayCloudError('1001', `${name} contains characters outside the BMP (4-byte UTF-8)`);
    if (name.includes('\u0000') || value.includes('\u0000')) throw new PayCloudError('1001', `${name} contains a NUL character`);
  }
}

/** The fields that frame a request; everything else is a business parameter (and part of the fingerprint). */
export const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(['app_id', 'method', 'format', 'charset', 'sign_type', 'version', 'timestamp', 'sign', 'psn']);
