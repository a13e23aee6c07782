/** Pre-built requests: signed before the timed run so that the load generator spends no RSA time. */
import { randomBytes } from 'node:crypto';
import type { Merchant, MerchantSecrets } from '../src/core/merchant.ts';
import { signV2 } from '../src/protocols/wechatpay-v2/sign.ts';
import { buildXml } from '../src/protocols/wechatpay-v2/xml.ts';
import { signAll } from './rsa-pool.ts';

export interface Prebuilt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Unsigned {
  method: string;
  path: string;
  body: string;
}

/** The merchant's key material (the bench's merchants are provisioned with keys). */
export function secretsOf(m: Merchant): MerchantSecrets {
  if (!m.secrets) throw new Error(`bench merchant ${m.mchid} has no secrets`);
  return m.secrets;
}

/** Who signs APIv3 requests: the merchant's number, private key and its certificate's serial number. */
export interface V3Signer {
  readonly mchid: string;
  readonly privateKeyPem: string;
  readonly serialNo: string;
}

/** APIv3 requests with fresh nonces, signed with the merchant key on every core. */
export function signV3(m: Merchant, unsigned: Unsigned[]): Promise<Prebuilt[]> {
  const s = secretsOf(m);
  return signV3As({ mchid: m.mchid, privateKeyPem: s.merchantPrivateKeyPem, serialNo: s.merchantSerialNo }, unsigned);
}

/** The same for a signer that is not a provisioned merchant (the minimal servers' requests). */
export async function signV3As(signer: V3Signer, unsigned: Unsigned[]): Promise<Prebuilt[]> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonces = unsigned.map(() => randomBytes(16).toString('hex'));
  const messages = unsigned.map((u, i) => `${u.method}\n${u.path}\n${timestamp}\n${nonces[i]}\n${u.body}\n`);
  const signatures = await signAll(signer.privateKeyPem, messages);
  return unsigned.map((u, i) => ({
    method: u.method,
    path: u.path,
    headers: {
      authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${signer.mchid}",nonce_str="${nonces[i]}",timestamp="${timestamp}",serial_no="${signer.serialNo}",signature="${signatures[i]}"`,
      ...(u.body ? { 'content-type': 'application/json' } : {}),
      accept: 'application/json',
    },
    ...(u.body ? { body: u.body } : {}),
  }));
}

export function v3Reverse(m: Pick<Merchant, 'mchid' | 'appid'>, prefix: string, count: number): Unsigned[] {
  const body = JSON.stringify({ appid: m.appid, mchid: m.mchid });
  return Array.from({ length: count }, (_, i) => ({ method: 'POST', path: `/v3/pay/transactions/out-trade-no/${prefix}${i + 1}/reverse`, body }));
}

export function v3Close(m: Merchant, prefix: string, count: number): Unsigned[] {
  const body = JSON.stringify({ mchid: m.mchid });
  return Array.from({ length: count }, (_, i) => ({ method: 'POST', path: `/v3/pay/transactions/out-trade-no/${prefix}${i + 1}/close`, body }));
}

/** Queries spread over `orders` existing orders. */
export function v3Query(m: Pick<Merchant, 'mchid'>, prefix: string, orders: number, count: number): Unsigned[] {
  return Array.from({ length: count }, (_, i) => ({
    method: 'GET',
    path: `/v3/pay/transactions/out-trade-no/${prefix}${(i % orders) + 1}?mchid=${m.mchid}`,
    body: '',
  }));
}

/** APIv2 reverse in HMAC-SHA256 (no RSA anywhere on this path). */
export function v2Reverse(m: Merchant, prefix: string, count: number): Prebuilt[] {
  return Array.from({ length: count }, (_, i) => {
    const params: Record<string, string> = {
      appid: m.appid,
      mch_id: m.mchid,
      nonce_str: randomBytes(16).toString('hex'),
      out_trade_no: `${prefix}${i + 1}`,
      sign_type: 'HMAC-SHA256',
    };
    const body = buildXml({ ...params, sign: signV2(params, secretsOf(m).apiV2Key, 'HMAC-SHA256') });
    return { method: 'POST', path: '/secapi/pay/reverse', headers: { 'content-type': 'text/xml' }, body };
  });
}
