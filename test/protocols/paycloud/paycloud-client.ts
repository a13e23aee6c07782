/**
 * A PayCloud OpenAPI client written from the spec's algorithm (paycloud-openapi.md §3, §5), independent of the
 * gateway's own signing code: it signs requests with the app key, posts form or JSON bodies, and verifies every
 * response with the gateway public key the credentials JSON hands out.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export interface AppCredentials {
  appId: string;
  merchantNo: string;
  storeNo: string;
  appPrivateKeyPkcs8Base64: string;
  appPublicKeySpkiBase64: string;
  gatewayPublicKeySpkiBase64: string;
}

/** A parameter value: a string, or `{ raw }` for a JSON number token sent (and signed) exactly as written. */
export type Value = string | { raw: string };

export interface CallOptions {
  path?: string;
  /** Epoch ms (or any text) sent as `timestamp`; default now. */
  timestamp?: string;
  /** Override or add envelope fields (e.g. another app_id, format). */
  envelope?: Record<string, string>;
  /** Sign with this key instead of the app's. */
  privateKey?: KeyObject;
  /** Sign these parameters but send the others (tampering). */
  signed?: Record<string, Value>;
  psn?: string;
  httpMethod?: string;
}

export interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  envelope: { code: string; msg: string; psn: string; data: string; sign: string };
  data: Record<string, any>;
}

const text = (v: Value) => (typeof v === 'string' ? v : v.raw);

/** §3: drop `sign` and empty values, sort by name, join `k=v` with `&`, raw values. */
export function signingString(params: Record<string, Value>): string {
  return Object.keys(params)
    .filter((k) => k.toLowerCase() !== 'sign' && text(params[k]!) !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${text(params[k]!)}`)
    .join('&');
}

export function signWith(params: Record<string, Value>, key: KeyObject): string {
  return sign('sha256', Buffer.from(signingString(params), 'utf8'), key).toString('base64');
}

function formBody(params: Record<string, Value>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(text(v))}`)
    .join('&');
}

function jsonBody(params: Record<string, Value>): string {
  const members = Object.entries(params).map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'string' ? JSON.stringify(v) : v.raw}`);
  return `{${members.join(',')}}`;
}

export class PayCloudClient {
  readonly appKey: KeyObject;
  readonly gatewayKey: KeyObject;

  constructor(
    readonly baseUrl: string,
    readonly app: AppCredentials,
    readonly bodyType: 'form' | 'json' = 'form',
  ) {
    this.appKey = createPrivateKey({ key: Buffer.from(app.appPrivateKeyPkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
    this.gatewayKey = createPublicKey({ key: Buffer.from(app.gatewayPublicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
  }

  /** Calls `method` with `business` parameters; asserts the envelope is HTTP 200, JSON, signed and `data` is JSON. */
  async call(method: string, business: Record<string, Value>, o: CallOptions = {}): Promise<Answer> {
    const params: Record<string, Value> = {
      app_id: this.app.appId,
      method,
      format: 'JSON',
      charset: 'UTF-8',
      sign_type: 'RSA2',
      version: '1.0',
      timestamp: o.timestamp ?? String(Date.now()),
      merchant_no: this.app.merchantNo,
      ...business,
      ...o.envelope,
    };
    params.sign = signWith(o.signed ? { ...params, ...o.signed } : params, o.privateKey ?? this.appKey);
    const json = this.bodyType === 'json';
    // A path with a leading slash is taken literally (`//api/entry`), not as a protocol-relative URL.
    const url = o.path?.startsWith('/') ? `${new URL(this.baseUrl).origin}${o.path}` : new URL(o.path ?? 'api/entry', this.baseUrl);
    const res = await fetch(url, {
      method: o.httpMethod ?? 'POST',
      headers: {
        'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8',
        ...(o.psn ? { 'http-request-psn': o.psn } : {}),
      },
      body: o.httpMethod === 'GET' ? undefined : json ? jsonBody(params) : formBody(params),
    });
    return this.read(res);
  }

  /** Reads and verifies a response the way the SDKs do: `data` is the string received, signed as such. */
  async read(res: Response): Promise<Answer> {
    const body = await res.text();
    assert.equal(res.status, 200, `HTTP ${res.status}: ${body}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const envelope = JSON.parse(body);
    for (const name of ['code', 'msg', 'psn', 'data', 'sign']) assert.equal(typeof envelope[name], 'string', `${name} in ${body}`);
    const signed = signingString({ code: envelope.code, data: envelope.data, msg: envelope.msg, psn: envelope.psn });
    assert.ok(verify('sha256', Buffer.from(signed, 'utf8'), this.gatewayKey, Buffer.from(envelope.sign, 'base64')), `response signature: ${body}`);
    const data = JSON.parse(envelope.data);
    assert.equal(typeof data, 'object');
    return { status: res.status, contentType: res.headers.get('content-type'), text: body, envelope, data };
  }
}

/** Asserts a refusal's code and that its data is `{}`. */
export function assertRefused(answer: Answer, code: string): void {
  assert.equal(answer.envelope.code, code, `expected ${code}: ${answer.text}`);
  assert.equal(answer.envelope.data, '{}');
}
