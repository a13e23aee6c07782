/**
 * APIv3 request authentication (spec §2): parse the Authorization header in any parameter order, then check
 * timestamp, nonce, serial and the SHA256withRSA signature over the exact bytes received.
 */
import { publicKeyOf, rsaVerify } from '../../lib/crypto.ts';
import type { MerchantSecrets } from '../../core/merchant.ts';

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
export const TIMESTAMP_WINDOW_SECONDS = 300;

export interface AuthorizationParams {
  readonly mchid: string;
  readonly nonceStr: string;
  readonly timestamp: string;
  readonly serialNo: string;
  readonly signature: string;
}

/** Why a request failed authentication: the `detail.detail.issue` text of the 401 body. */
export type AuthIssue = 'authorization malformed' | 'mchid not found' | 'timestamp expired' | 'nonce invalid' | 'serial_no not found' | 'sign not match';

export type Parsed<T> = { ok: true; value: T } | { ok: false; issue: AuthIssue };

const REQUIRED = ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'] as const;

/** Parses `WECHATPAY2-SHA256-RSA2048 k="v",k="v"…`: any order, spaces around commas, duplicates refused. */
export function parseAuthorization(header: string | undefined): Parsed<AuthorizationParams> {
  const malformed = { ok: false, issue: 'authorization malformed' } as const;
  if (!header || header.length > 4096) return malformed;
  const m = /^(\S+) +(.*)$/s.exec(header.trim());
  if (!m || m[1].toUpperCase() !== AUTH_SCHEME) return malformed;
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z_]+)="([^"]*)"\s*(,|$)/y;
  const text = m[2];
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const p = re.exec(text);
    if (!p) return malformed;
    if (params.has(p[1])) return malformed;
    params.set(p[1], p[2]);
    pos = re.lastIndex;
    if (p[3] === '') break;
  }
  if (pos < text.length) return malformed;
  const [mchid, nonceStr, timestamp, serialNo, signature] = REQUIRED.map((name) => params.get(name));
  if (!mchid || !nonceStr || !timestamp || !serialNo || !signature) return malformed;
  return { ok: true, value: { mchid, nonceStr, timestamp, serialNo, signature } };
}

/** Certificate serials compare as hex numbers: case-insensitive, leading zeros ignored. */
export function sameSerial(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toUpperCase().replace(/^0+/, '');
  return /^[0-9A-Fa-f]+$/.test(a.trim()) && norm(a) === norm(b);
}

/** `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n` (spec §2.2). */
export function requestMessage(method: string, target: string, timestamp: string, nonce: string, body: string): string {
  return `${method}\n${target}\n${timestamp}\n${nonce}\n${body}\n`;
}

export interface SignedRequest {
  readonly method: string;
  /** Path and query exactly as received. */
  readonly target: string;
  readonly body: string;
}

/** A refused authentication: the wire's `issue` and, for the request log, the concrete reason. */
export interface AuthRefusal {
  readonly issue: AuthIssue;
  readonly reason: string;
  /** For an unknown serial: the serial the merchant's requests must name. */
  readonly validSerials?: readonly string[];
}

/** Checks everything but the nonce replay (which needs the store). Never throws. */
export async function verifyRequestSignature(
  auth: AuthorizationParams,
  request: SignedRequest,
  secrets: MerchantSecrets,
  wallNowMs: number,
  lenientEmptyBody: boolean,
): Promise<AuthRefusal | null> {
  if (!/^\d{1,12}$/.test(auth.timestamp)) return { issue: 'timestamp expired', reason: 'timestamp is not a number of seconds' };
  const age = Math.floor(wallNowMs / 1000) - Number(auth.timestamp);
  if (Math.abs(age) > TIMESTAMP_WINDOW_SECONDS) {
    const reason = age > 0 ? `timestamp ${age} s old` : `timestamp ${-age} s in the future`;
    return { issue: 'timestamp expired', reason: `${reason} (window ±${TIMESTAMP_WINDOW_SECONDS} s)` };
  }
  if (auth.nonceStr.length < 10 || auth.nonceStr.length > 32) {
    return { issue: 'nonce invalid', reason: `nonce_str has ${auth.nonceStr.length} characters (10 to 32 allowed)` };
  }
  if (!sameSerial(auth.serialNo, secrets.merchantSerialNo)) {
    return { issue: 'serial_no not found', reason: `serial_no ${auth.serialNo} is unknown`, validSerials: [secrets.merchantSerialNo] };
  }
  const key = publicKeyOf(secrets.merchantCertificatePem);
  const message = requestMessage(request.method, request.target, auth.timestamp, auth.nonceStr, request.body);
  if (await rsaVerify(message, auth.signature, key)) return null;
  // A known client defect drops the final "\n" when a non-GET body is empty; accepted only when the merchant opts in.
  if (lenientEmptyBody && request.body === '' && (await rsaVerify(message.slice(0, -1), auth.signature, key))) return null;
  return { issue: 'sign not match', reason: 'signature does not verify with the merchant certificate' };
}
