/**
 * Every APIv3 2xx response is signed (spec §3): `TIMESTAMP\nNONCE\nBODY\n` with the platform key the request
 * named in `Wechatpay-Serial`, else the merchant's default mode (certificate or public key).
 */
import { privateKeyOf, randomAlnum, rsaSign } from '../../lib/crypto.ts';
import type { MerchantSecrets, MerchantSettings } from '../../core/merchant.ts';
import { sameSerial } from './authorization.ts';

export interface PlatformKey {
  /** Exactly the string /v3/certificates lists, or the PUB_KEY_ID_… */
  readonly serial: string;
  readonly privateKeyPem: string;
}

export function platformKeyFor(secrets: MerchantSecrets, settings: Pick<MerchantSettings, 'platformMode'>, requested: string | undefined): PlatformKey {
  const certificate = { serial: secrets.platformSerialNo, privateKeyPem: secrets.platformPrivateKeyPem };
  const publicKey = { serial: secrets.platformPublicKeyId, privateKeyPem: secrets.platformPublicKeyPrivatePem };
  if (requested) {
    if (requested === secrets.platformPublicKeyId) return publicKey;
    if (sameSerial(requested, secrets.platformSerialNo)) return certificate;
  }
  return settings.platformMode === 'public_key' ? publicKey : certificate;
}

export interface SignatureHeaders {
  readonly 'Wechatpay-Timestamp': string;
  readonly 'Wechatpay-Nonce': string;
  readonly 'Wechatpay-Serial': string;
  readonly 'Wechatpay-Signature': string;
}

/** Signs a response or notification body with the wall clock (never the sandbox business clock). */
export async function signatureHeaders(body: string, key: PlatformKey, wallNowMs: number): Promise<SignatureHeaders> {
  const timestamp = String(Math.floor(wallNowMs / 1000));
  const nonce = randomAlnum(32);
  const signature = await rsaSign(`${timestamp}\n${nonce}\n${body}\n`, privateKeyOf(key.privateKeyPem));
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': key.serial,
    'Wechatpay-Signature': signature,
  };
}
