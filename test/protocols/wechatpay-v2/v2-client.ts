/**
 * APIv2 clients for tests: wechatpay-axios-plugin configured the way a merchant would (credentials JSON, HTTPS,
 * client certificate for /secapi/*), and hand-made XML requests for what a well-behaved client never sends.
 */
import http from 'node:http';
import https from 'node:https';
import { Wechatpay } from 'wechatpay-axios-plugin';
import { signV2, type SignTypeV2 } from '../../../src/protocols/wechatpay-v2/sign.ts';
import { parseXmlBody } from '../../../src/protocols/wechatpay-v2/xml.ts';
import type { Credentials } from '../../helpers/gateway.ts';

/** What a merchant configures for /secapi/*: the PEM pair or the PKCS#12 file (password = mchid). */
export type ClientIdentity = 'pem' | 'p12' | 'none' | { cert: string; key: string };

function tlsIdentity(c: Credentials, identity: ClientIdentity): Record<string, unknown> {
  if (identity === 'none') return {};
  if (identity === 'pem') return { cert: c.apiV2ClientCertificatePem, key: c.apiV2ClientKeyPem };
  if (identity === 'p12') return { pfx: Buffer.from(String(c.apiV2ClientP12Base64), 'base64'), passphrase: c.mchid };
  return identity;
}

/**
 * wechatpay-axios-plugin's APIv2 client over HTTPS, trusting the sandbox CA. `security: true` on a call makes it
 * present `merchant` (the client certificate) — exactly how merchants call /secapi/*.
 */
export function v2Client(c: Credentials, identity: ClientIdentity = 'pem') {
  const ca = String(c.caCertificatePem);
  return new Wechatpay({
    mchid: c.mchid,
    serial: c.merchantSerialNo,
    privateKey: c.merchantPrivateKeyPem,
    certs: { [c.platformSerialNo]: c.platformCertificatePem },
    secret: c.apiV2Key,
    merchant: { ...tlsIdentity(c, identity), ca },
    baseURL: String(c.httpsBaseUrl),
    // Non-secapi calls go over HTTPS too; they only need to trust the sandbox CA.
    httpsAgent: new https.Agent({ ca }),
  } as never) as any;
}

/** The plugin's refusal (result or return FAIL) as data, or the transport error when there was no response. */
export async function failed(promise: Promise<unknown>): Promise<{ data: any; code: string | undefined; response: boolean }> {
  try {
    await promise;
  } catch (err: any) {
    return { data: err?.response?.data, code: err?.code, response: Boolean(err?.response) };
  }
  throw new Error('expected the call to fail');
}

export interface RawAnswer {
  status: number;
  contentType: string | undefined;
  text: string;
  params: Record<string, string>;
}

export interface RawOptions {
  headers?: Record<string, string>;
  method?: string;
  /** HTTPS with this TLS identity (and the sandbox CA trusted). */
  tls?: { ca: string; cert?: string; key?: string };
}

/** One request with exactly these bytes (no Content-Type unless given). */
export function postRaw(url: string, body: string | Buffer, options: RawOptions = {}): Promise<RawAnswer> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: options.method ?? 'POST',
        headers: { 'content-length': String(bytes.length), ...options.headers },
        ...(options.tls ? { ...options.tls, agent: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = text ? parseXmlBody(Buffer.from(text)) : null;
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text, params: parsed?.ok ? parsed.params : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** Signed request XML: compact, or pretty-printed with an XML declaration and CDATA, as other clients send. */
export function signedXml(params: Record<string, string>, key: string, signType: SignTypeV2 = 'MD5', layout: 'compact' | 'pretty' = 'compact'): string {
  const all = { ...params, ...(signType === 'HMAC-SHA256' ? { sign_type: signType } : {}) };
  const sign = signV2(all, key, signType);
  const entries = Object.entries({ ...all, sign });
  if (layout === 'compact') return `<xml>${entries.map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</xml>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n${entries.map(([k, v]) => `  <${k}><![CDATA[${v}]]></${k}>`).join('\n')}\n</xml>\n`;
}

/** Whether an answer's signature is valid with the merchant's key (the algorithm is the request's). */
export function answerSigned(answer: Record<string, string>, key: string, signType: SignTypeV2): boolean {
  return answer.sign !== undefined && signV2(answer, key, signType) === answer.sign;
}
