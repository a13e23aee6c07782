/**
 * A sandbox merchant's key material (v3 spec §2–§4, v2 spec §3): the APIv2/APIv3 keys, the merchant API
 * certificate the merchant signs requests with, the platform certificate and the platform public key the
 * gateway signs responses with.
 */
import { randomInt } from 'node:crypto';
import type { MerchantSecrets } from '../core/merchant.ts';
import { generateRsaKeyPair, serialOf, signCertificate, type KeyPairPem } from './certificate-authority.ts';

export {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  normalizeSerial,
  type CertificateAuthority,
  type ClientCertificate,
  type IssuedCertificate,
} from './certificate-authority.ts';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** randomInt is unbiased (unlike byte % 62): these strings are secret keys, not just nonces. */
function randomFrom(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** 32 ASCII [0-9A-Za-z]: the APIv3 key's characters are the AES-256-GCM key bytes, so exactly 32 of them. */
export function randomApiKey(): string {
  return randomFrom(ALNUM, 32);
}

/** `PUB_KEY_ID_` + 32 digits: the shape WeChat Pay gives platform public-key IDs (v3 spec §4). */
export function randomPublicKeyId(): string {
  return `PUB_KEY_ID_${randomFrom('0123456789', 32)}`;
}

/**
 * Self-signed: clients only pin these certificates by serial (merchant) or take them from /v3/certificates
 * (platform); nobody builds a chain for them, so a CA would add nothing.
 */
async function selfSignedCertificate(keys: KeyPairPem, subject: Array<[string, string]>, usages: Record<string, true>): Promise<string> {
  return signCertificate({
    subject,
    publicKeyPem: keys.publicKeyPem,
    years: 5,
    selfKeyPem: keys.privateKeyPem,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', ...usages, critical: true },
    ],
  });
}

/** Fresh keys for one merchant; the three RSA key pairs are generated in parallel in the thread pool. */
export async function generateMerchantKeys(input: { mchid: string; appid: string }): Promise<MerchantSecrets> {
  const [merchantKeys, platformKeys, publicKeyKeys] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair(), generateRsaKeyPair()]);
  const [merchantCertificatePem, platformCertificatePem] = await Promise.all([
    selfSignedCertificate(
      merchantKeys,
      [['CN', input.mchid], ['O', 'tradegate sandbox'], ['OU', `tradegate sandbox merchant ${input.appid}`]],
      { digitalSignature: true, nonRepudiation: true, keyEncipherment: true },
    ),
    // dataEncipherment: merchants encrypt sensitive request fields to the platform certificate (RSA-OAEP).
    selfSignedCertificate(
      platformKeys,
      [['CN', 'tradegate sandbox platform'], ['O', 'tradegate sandbox'], ['OU', input.mchid]],
      { digitalSignature: true, nonRepudiation: true, keyEncipherment: true, dataEncipherment: true },
    ),
  ]);
  return {
    apiV2Key: randomApiKey(),
    apiV3Key: randomApiKey(),
    merchantSerialNo: serialOf(merchantCertificatePem),
    merchantPrivateKeyPem: merchantKeys.privateKeyPem,
    merchantCertificatePem,
    platformSerialNo: serialOf(platformCertificatePem),
    platformCertificatePem,
    platformPrivateKeyPem: platformKeys.privateKeyPem,
    platformPublicKeyId: randomPublicKeyId(),
    platformPublicKeyPem: publicKeyKeys.publicKeyPem,
    platformPublicKeyPrivatePem: publicKeyKeys.privateKeyPem,
  };
}
