/**
 * Notification helpers: verify (and decrypt) what the gateway POSTs to a merchant's notify_url. Each throws
 * `NotificationError` on anything that does not verify; never act on an unverified notification.
 */
import { createDecipheriv, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { verifyV2, type V2SignType } from './dialects/wechatpay-v2.ts';
import { signingString } from './dialects/paycloud.ts';
import { parseFlatXml } from './xml.ts';

export class NotificationError extends Error {
  override name = 'NotificationError';
}

/**
 * APIv3: checks `Wechatpay-Signature` over `timestamp\nnonce\nbody\n` with the platform key named by
 * `Wechatpay-Serial` (refusing `WECHATPAY/SIGNTEST/` probes), then decrypts `resource` (AEAD_AES_256_GCM, APIv3 key).
 */
export function openV3Notification(
  headers: Record<string, string | undefined>,
  body: string,
  keys: { apiV3Key: string; platformKeys: Record<string, string | KeyObject> },
  wallNow = Date.now(),
): { event: Record<string, unknown>; resource: Record<string, unknown> } {
  const h = (n: string) => headers[n] ?? headers[n.toLowerCase()];
  const ts = h('Wechatpay-Timestamp');
  const nonce = h('Wechatpay-Nonce');
  const serial = h('Wechatpay-Serial');
  const sig = h('Wechatpay-Signature');
  if (!ts || !nonce || !serial || !sig) throw new NotificationError('missing Wechatpay-* headers');
  if (sig.startsWith('WECHATPAY/SIGNTEST/')) throw new NotificationError('signature probe');
  const pem = Object.entries(keys.platformKeys).find(([k]) => k.toUpperCase() === serial.toUpperCase())?.[1];
  if (!pem) throw new NotificationError(`unknown platform serial ${serial}`);
  if (Math.abs(Number(ts) - wallNow / 1000) > 300) throw new NotificationError('stale timestamp');
  const key = typeof pem === 'string' ? createPublicKey(pem) : pem;
  if (!verify('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`), key, Buffer.from(sig, 'base64'))) throw new NotificationError('bad signature');
  const event = JSON.parse(body);
  const r = event.resource;
  const raw = Buffer.from(String(r?.ciphertext ?? ''), 'base64');
  if (raw.length < 17) throw new NotificationError('no ciphertext');
  try {
    const d = createDecipheriv('aes-256-gcm', Buffer.from(keys.apiV3Key, 'utf8'), Buffer.from(String(r.nonce), 'utf8'));
    d.setAAD(Buffer.from(String(r.associated_data ?? ''), 'utf8'));
    d.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]).toString('utf8');
    return { event, resource: JSON.parse(plain) };
  } catch (e) {
    throw new NotificationError(`cannot decrypt resource: ${(e as Error).message}`);
  }
}

/** APIv2 payment notification: the XML's `sign` with the API key (algorithm from `sign_type`, MD5 when absent). */
export function openV2PayNotification(body: string, apiV2Key: string): Record<string, string> {
  const p = parseFlatXml(body);
  if (!p) throw new NotificationError('not APIv2 XML');
  const type = (p.sign_type ?? 'MD5') as V2SignType;
  if (type !== 'MD5' && type !== 'HMAC-SHA256') throw new NotificationError(`unknown sign_type ${type}`);
  if (!verifyV2(p, apiV2Key, type)) throw new NotificationError('bad sign');
  return p;
}

/** APIv2 refund notification: `req_info` is AES-256-ECB with key = lower-case hex MD5 of the API key (no sign). */
export function openV2RefundNotification(body: string, apiV2Key: string): Record<string, string> {
  const p = parseFlatXml(body);
  if (!p?.req_info) throw new NotificationError('no req_info');
  try {
    const key = Buffer.from(createHash('md5').update(apiV2Key, 'utf8').digest('hex'), 'utf8');
    const d = createDecipheriv('aes-256-ecb', key, null);
    const inner = Buffer.concat([d.update(Buffer.from(p.req_info, 'base64')), d.final()]).toString('utf8');
    const fields = parseFlatXml(inner.replace(/^<root>/, '<xml>').replace(/<\/root>\s*$/, '</xml>'));
    if (!fields) throw new Error('inner XML');
    return { ...p, ...fields };
  } catch (e) {
    throw new NotificationError(`cannot decrypt req_info: ${(e as Error).message}`);
  }
}

/** PayCloud: flat JSON signed with the gateway key over the sorted `k=v&…` of its non-empty fields. */
export function openPayCloudNotification(body: string, gatewayPublicKeySpkiBase64: string): Record<string, unknown> {
  const n = JSON.parse(body) as Record<string, unknown>;
  if (typeof n.sign !== 'string') throw new NotificationError('unsigned');
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(n)) if (v !== null && v !== undefined) flat[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  const key = createPublicKey({ key: Buffer.from(gatewayPublicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
  if (!verify('sha256', Buffer.from(signingString(flat), 'utf8'), key, Buffer.from(n.sign, 'base64'))) throw new NotificationError('bad signature');
  return n;
}
