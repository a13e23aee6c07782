/**
 * Hand-made signed requests for the three dialects, written from the specs (not from the gateway's own signing
 * code), for load and fuzz tests that send thousands of them: APIv3 SHA256withRSA (async, in libuv's thread
 * pool), APIv2 MD5/HMAC-SHA256 XML, PayCloud SHA256withRSA over sorted `k=v&…`.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

const privateKeys = new Map<string, KeyObject>();

function privateKeyOf(pem: string): KeyObject {
  let key = privateKeys.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    privateKeys.set(pem, key);
  }
  return key;
}

/** SHA256withRSA, base64, off the event loop. */
export function rsaSignAsync(message: string | Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(message), key, (err, sig) => (err ? reject(err) : resolve(sig.toString('base64'))));
  });
}

// ---------------------------------------------------------------- APIv3

export interface V3Signer {
  readonly mchid: string;
  readonly merchantSerialNo: string;
  readonly merchantPrivateKeyPem: string;
}

export interface V3AuthOptions {
  readonly timestamp?: number | string;
  readonly nonce?: string;
  readonly mchid?: string;
  readonly serial?: string;
  /** Sign this text instead of the body sent. */
  readonly signedBody?: string;
}

/** The parameters of a `WECHATPAY2-SHA256-RSA2048` header, signed over `METHOD\nURL\nTS\nNONCE\nBODY\n`. */
export async function v3AuthParams(c: V3Signer, method: string, url: string, body: string, o: V3AuthOptions = {}) {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomBytes(16).toString('hex');
  const message = `${method}\n${url}\n${timestamp}\n${nonce}\n${o.signedBody ?? body}\n`;
  const signature = await rsaSignAsync(message, privateKeyOf(c.merchantPrivateKeyPem));
  return { mchid: o.mchid ?? c.mchid, nonce_str: nonce, signature, timestamp, serial_no: o.serial ?? c.merchantSerialNo };
}

export function v3AuthHeader(params: Record<string, string>): string {
  return `WECHATPAY2-SHA256-RSA2048 ${Object.entries(params)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}`;
}

/** A signed APIv3 request's headers. */
export async function v3Headers(c: V3Signer, method: string, url: string, body: string, o: V3AuthOptions = {}): Promise<Record<string, string>> {
  return {
    authorization: v3AuthHeader(await v3AuthParams(c, method, url, body, o)),
    accept: 'application/json',
    ...(body === '' ? {} : { 'content-type': 'application/json' }),
  };
}

/** Verifies an APIv3 answer's `Wechatpay-Signature` with a platform certificate or public key (PEM). */
export function v3AnswerVerifies(headers: Record<string, unknown>, body: string, platformPem: string): boolean {
  const ts = headers['wechatpay-timestamp'];
  const nonce = headers['wechatpay-nonce'];
  const signature = headers['wechatpay-signature'];
  if (typeof ts !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string') return false;
  return verify('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`), createPublicKey(platformPem), Buffer.from(signature, 'base64'));
}

// ---------------------------------------------------------------- APIv2

export type V2SignType = 'MD5' | 'HMAC-SHA256';

/** §3: sorted non-empty `k=v` (byte order of names), `&key=…`, MD5 or HMAC-SHA256, upper-case hex. */
export function v2Sign(params: Record<string, string>, key: string, signType: V2SignType = 'MD5'): string {
  const names = Object.keys(params).filter((k) => k !== 'sign' && params[k] !== '' && params[k] !== undefined);
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const text = `${names.map((k) => `${k}=${params[k]}`).join('&')}&key=${key}`;
  const digest = signType === 'HMAC-SHA256' ? createHmac('sha256', key) : createHash('md5');
  return digest.update(text, 'utf8').digest('hex').toUpperCase();
}

const xmlText = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Compact `<xml>…</xml>` of already-signed (or deliberately unsigned) parameters, values escaped. */
export function v2Xml(params: Record<string, string>): string {
  return `<xml>${Object.entries(params)
    .map(([k, v]) => `<${k}>${xmlText(v)}</${k}>`)
    .join('')}</xml>`;
}

/** Adds nonce, sign_type (HMAC) and sign; returns the XML body. */
export function v2SignedXml(params: Record<string, string>, key: string, signType: V2SignType = 'MD5'): string {
  const all: Record<string, string> = { nonce_str: randomBytes(8).toString('hex'), ...params };
  if (signType === 'HMAC-SHA256') all.sign_type = 'HMAC-SHA256';
  all.sign = v2Sign(all, key, signType);
  return v2Xml(all);
}

/**
 * The flat children of an answer's `<xml>`: each value is its text (entities decoded) and CDATA sections
 * concatenated, so that `]]>` split across two sections reads back as sent. For checks; not a general XML parser.
 */
export function v2Fields(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = /^\s*<xml>([\s\S]*)<\/xml>\s*$/.exec(xml)?.[1];
  if (body === undefined) return out;
  const decode = (t: string) =>
    t
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  for (const m of body.matchAll(/<([A-Za-z_][\w.-]*)>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/\1>/g)) {
    const parts = m[2]!.split(/(<!\[CDATA\[[\s\S]*?\]\]>)/);
    out[m[1]!] = parts.map((p) => (p.startsWith('<![CDATA[') ? p.slice(9, -3) : decode(p))).join('');
  }
  return out;
}

// ---------------------------------------------------------------- PayCloud

export interface PayCloudAppKeys {
  readonly appId: string;
  readonly merchantNo: string;
  readonly appPrivateKeyPkcs8Base64: string;
  readonly gatewayPublicKeySpkiBase64: string;
}

const derPrivateKeys = new Map<string, KeyObject>();
const derPublicKeys = new Map<string, KeyObject>();

export function payCloudAppKey(app: PayCloudAppKeys): KeyObject {
  let key = derPrivateKeys.get(app.appPrivateKeyPkcs8Base64);
  if (!key) {
    key = createPrivateKey({ key: Buffer.from(app.appPrivateKeyPkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
    derPrivateKeys.set(app.appPrivateKeyPkcs8Base64, key);
  }
  return key;
}

export function payCloudGatewayKey(app: PayCloudAppKeys): KeyObject {
  let key = derPublicKeys.get(app.gatewayPublicKeySpkiBase64);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(app.gatewayPublicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
    derPublicKeys.set(app.gatewayPublicKeySpkiBase64, key);
  }
  return key;
}

/** §3: drop `sign` and empty values, sort names by code unit, `k=v` joined by `&`. */
export function payCloudSigningString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k.toLowerCase() !== 'sign' && params[k] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as any real client would send it). */
export function percentEncode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~*-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function formEncode(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

/** Envelope fields + business fields, signed with the app key; returns the parameters including `sign`. */
export async function payCloudSigned(app: PayCloudAppKeys, method: string, business: Record<string, string>, envelope: Record<string, string> = {}) {
  const params: Record<string, string> = {
    app_id: app.appId,
    method,
    format: 'JSON',
    charset: 'UTF-8',
    sign_type: 'RSA2',
    version: '1.0',
    timestamp: String(Date.now()),
    merchant_no: app.merchantNo,
    ...business,
    ...envelope,
  };
  params.sign = await rsaSignAsync(payCloudSigningString(params), payCloudAppKey(app));
  return params;
}

/** Checks a PayCloud answer: the envelope's five strings and the gateway signature over code/data/msg/psn. */
export function payCloudEnvelope(text: string, app: PayCloudAppKeys): { code: string; msg: string; data: string; signed: boolean } | null {
  let e: unknown;
  try {
    e = JSON.parse(text);
  } catch {
    return null;
  }
  if (e === null || typeof e !== 'object') return null;
  const env = e as Record<string, unknown>;
  for (const name of ['code', 'msg', 'psn', 'data', 'sign']) if (typeof env[name] !== 'string') return null;
  const signing = payCloudSigningString({ code: env.code as string, data: env.data as string, msg: env.msg as string, psn: env.psn as string });
  const signed = verify('sha256', Buffer.from(signing, 'utf8'), payCloudGatewayKey(app), Buffer.from(env.sign as string, 'base64'));
  return { code: env.code as string, msg: env.msg as string, data: env.data as string, signed };
}
