/**
 * One merchant's calls in every dialect over real HTTP (load and crash tests): APIv3 signed JSON, APIv2 signed XML
 * (`/secapi/*` over mutual TLS), PayCloud signed forms, and the sandbox admin API. Answers are reduced to what
 * the tests classify: status, business code, and the parsed body.
 */
import type { Credentials } from './gateway.ts';
import { HttpClient, type HttpAnswer } from './http-client.ts';
import { formEncode, payCloudEnvelope, payCloudSigned, v2Fields, v2SignedXml, v3Headers, type PayCloudAppKeys, type V2SignType } from './wire.ts';

/** Where one gateway process listens. */
export interface Endpoint {
  readonly baseUrl: string;
  readonly httpsBaseUrl: string;
}

export interface V3Answer {
  readonly status: number;
  /** `code` of an error body; '' for success. */
  readonly code: string;
  readonly json: any;
}

export interface V2Answer {
  readonly status: number;
  readonly fields: Record<string, string>;
  /** `FAIL:<return_msg>`, `SUCCESS`, or `<err_code>` of a result-level refusal. */
  readonly outcome: string;
}

export interface PayCloudAnswer {
  readonly code: string;
  readonly msg: string;
  readonly data: any;
  readonly signed: boolean;
}

export interface AdminAnswer {
  readonly status: number;
  readonly body: any;
}

function jsonOrNull(text: string): any {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export class MerchantCalls {
  readonly http: HttpClient;
  readonly tls: HttpClient;
  readonly app: PayCloudAppKeys;

  constructor(
    readonly c: Credentials,
    maxSockets = 64,
  ) {
    this.http = new HttpClient(maxSockets);
    this.tls = new HttpClient(maxSockets, {
      ca: String(c.caCertificatePem),
      cert: String(c.apiV2ClientCertificatePem),
      key: String(c.apiV2ClientKeyPem),
    });
    this.app = c.paycloud as PayCloudAppKeys;
  }

  async v3(at: Endpoint, method: 'GET' | 'POST', path: string, body?: unknown): Promise<V3Answer> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers = await v3Headers(this.c, method, path, text);
    const res = await this.http.send({ method, url: new URL(path, at.baseUrl).toString(), headers, body: text === '' ? undefined : text });
    const json = jsonOrNull(res.text);
    return { status: res.status, code: res.status >= 300 || (res.status === 202 && json?.code) ? String(json?.code ?? `HTTP${res.status}`) : '', json };
  }

  async v2(at: Endpoint, path: string, params: Record<string, string>, signType: V2SignType = 'MD5'): Promise<V2Answer> {
    const body = v2SignedXml({ appid: this.c.appid, mch_id: this.c.mchid, ...params }, this.c.apiV2Key, signType);
    const secure = path.startsWith('/secapi/');
    const client = secure ? this.tls : this.http;
    const res: HttpAnswer = await client.send({
      method: 'POST',
      url: new URL(path, secure ? at.httpsBaseUrl : at.baseUrl).toString(),
      body,
      headers: { 'content-type': 'text/xml' },
    });
    const fields = v2Fields(res.text);
    const outcome =
      fields.return_code !== 'SUCCESS'
        ? `FAIL:${fields.return_msg ?? res.text.slice(0, 80)}`
        : fields.result_code === 'SUCCESS'
          ? 'SUCCESS'
          : String(fields.err_code);
    return { status: res.status, fields, outcome };
  }

  async payCloud(at: Endpoint, method: string, business: Record<string, string>): Promise<PayCloudAnswer> {
    const params = await payCloudSigned(this.app, method, business);
    const res = await this.http.send({
      method: 'POST',
      url: new URL('api/entry', at.baseUrl).toString(),
      body: formEncode(params),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    const env = payCloudEnvelope(res.text, this.app);
    if (res.status !== 200 || !env) return { code: `HTTP${res.status}:${res.text.slice(0, 80)}`, msg: '', data: null, signed: false };
    return { code: env.code, msg: env.msg, data: jsonOrNull(env.data), signed: env.signed };
  }

  close(): void {
    this.http.close();
    this.tls.close();
  }
}

/** The sandbox admin API of one process. */
export async function adminCall(http: HttpClient, at: Endpoint, token: string, method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  const res = await http.send({
    method,
    url: new URL(path, at.baseUrl).toString(),
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: jsonOrNull(res.text) };
}

/** A small deterministic PRNG (mulberry32): load mixes are reproducible from the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks a key of `weights` with probability proportional to its weight. */
export function weighted<K extends string>(random: () => number, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  let r = random() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) {
    r -= w;
    if (r < 0) return k;
  }
  return entries[entries.length - 1]![0];
}
