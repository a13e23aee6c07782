/**
 * A sandbox merchant's key material (v3 spec §2–§4, v2 spec §3): the APIv2/APIv3 keys, the merchant API
 * certificate the merchant signs requests with, the platform certificate and the platform public key the
 * gateway signs responses with.
 */
import { randomInt } from 'node:crypto';
import type { MerchantSecrets } from '../core/merchant.ts';
import type { MerchantStore } from '../core/ports.ts';
import { generateDerKeyPair, type PayCloudApp } from '../store/paycloud-apps.ts';
import {
  createCertificateAuthority,
  generateRsaKeyPair,
  issueClientCertificate,
  serialOf,
  signCertificate,
  type CertificateAuthority,
  type KeyPairPem,
} from './certificate-authority.ts';

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
      [
        ['CN', input.mchid],
        ['O', 'tradegate sandbox'],
        ['OU', `tradegate sandbox merchant ${input.appid}`],
      ],
      { digitalSignature: true, nonRepudiation: true, keyEncipherment: true },
    ),
    // dataEncipherment: merchants encrypt sensitive request fields to the platform certificate (RSA-OAEP).
    selfSignedCertificate(
      platformKeys,
      [
        ['CN', 'tradegate sandbox platform'],
        ['O', 'tradegate sandbox'],
        ['OU', input.mchid],
      ],
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

/**
 * A merchant's PayCloud app (paycloud-openapi.md §2–§3): an app id in the `wz…` shape of the Cancel order page,
 * bound to the merchant's own number, with its RSA key pair and the environment's gateway public key, all in
 * the base64 DER forms the SDKs take.
 */
export async function generatePayCloudApp(mchid: string, gatewayPublicKeySpkiBase64: string): Promise<PayCloudApp> {
  const keys = await generateDerKeyPair();
  return {
    appId: `wz${randomFrom('0123456789abcdef', 16)}`,
    merchantNo: mchid,
    storeNo: `${mchid}01`,
    appPrivateKeyPkcs8Base64: keys.privateKeyPkcs8Base64,
    appPublicKeySpkiBase64: keys.publicKeySpkiBase64,
    gatewayPublicKeySpkiBase64,
  };
}

/** The gateway secret holding the sandbox CA: one per database, so every gateway process trusts the same CA. */
export const SANDBOX_CA_SECRET = 'sandbox-ca';

/** The sandbox CA (created by the first process that asks) that issues mTLS client and server certificates. */
export function sandboxCertificateAuthority(store: Pick<MerchantStore, 'gatewaySecret'>): Promise<CertificateAuthority> {
  return store.gatewaySecret(SANDBOX_CA_SECRET, createCertificateAuthority);
}

/** A merchant's APIv2 client certificate for `/secapi/*`, as kept in its secrets and handed out in the credentials JSON. */
export interface ApiV2ClientCertificate {
  readonly apiV2ClientCertificatePem: string;
  readonly apiV2ClientKeyPem: string;
  /** PKCS#12 whose password is the mchid (the convention merchants know). */
  readonly apiV2ClientP12Base64: string;
  /** The CA that issued it, which also issues the HTTPS listener's certificate: clients trust it for both. */
  readonly caCertificatePem: string;
}

export async function generateApiV2ClientCertificate(ca: CertificateAuthority, mchid: string): Promise<ApiV2ClientCertificate> {
  const issued = await issueClientCertificate(ca, mchid);
  return {
    apiV2ClientCertificatePem: issued.certPem,
    apiV2ClientKeyPem: issued.keyPem,
    apiV2ClientP12Base64: issued.p12Base64,
    caCertificatePem: ca.certPem,
  };
}

/** The client certificate fields of a merchant's secrets (absent for merchants provisioned before APIv2 existed). */
export function apiV2ClientCertificateOf(secrets: MerchantSecrets): ApiV2ClientCertificate | null {
  const { apiV2ClientCertificatePem, apiV2ClientKeyPem, apiV2ClientP12Base64, caCertificatePem } = secrets;
  if (
    typeof apiV2ClientCertificatePem !== 'string' ||
    typeof apiV2ClientKeyPem !== 'string' ||
    typeof apiV2ClientP12Base64 !== 'string' ||
    typeof caCertificatePem !== 'string'
  )
    return null;
  return { apiV2ClientCertificatePem, apiV2ClientKeyPem, apiV2ClientP12Base64, caCertificatePem };
}
