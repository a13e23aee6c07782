/** Provisioning merchants in the sandbox: ids, keys, settings, and the credentials JSON handed to the merchant. */
import { randomBytes, randomInt } from 'node:crypto';
import { CoreError } from '../core/errors.ts';
import { DEFAULT_SETTINGS, type Merchant, type MerchantKind, type MerchantSecrets, type MerchantSettings, type Region } from '../core/merchant.ts';
import { isKnownCurrency } from '../core/money.ts';
import type { Clock, MerchantStore } from '../core/ports.ts';
import { payCloudAppOf, payCloudGatewayKeyPair } from '../store/paycloud-apps.ts';
import {
  apiV2ClientCertificateOf,
  generateApiV2ClientCertificate,
  generateMerchantKeys,
  generatePayCloudApp,
  sandboxCertificateAuthority,
} from './credentials.ts';

export interface ProvisionRequest {
  readonly mode?: 'direct' | 'service_provider' | 'sub_merchant';
  readonly region?: Region;
  readonly spMchid?: string;
  readonly mchid?: string;
  readonly settings?: Partial<MerchantSettings>;
}

/** Where the merchant reaches the gateway; written into its credentials JSON. */
export interface GatewayUrls {
  readonly baseUrl: string;
  readonly httpsBaseUrl?: string;
}

/** The credentials JSON: a contract for tests and tools (names fixed by the issue; later dialects add fields). */
export function credentialsJson(merchant: Merchant, urls: GatewayUrls): Record<string, unknown> {
  const base = { mode: merchant.kind === 'sub_merchant' ? 'sub_merchant' : merchant.kind === 'service_provider' ? 'service_provider' : 'direct' };
  if (merchant.kind === 'sub_merchant' || !merchant.secrets) {
    return { ...base, mchid: merchant.mchid, appid: merchant.appid, spMchid: merchant.parentMchid, baseUrl: urls.baseUrl };
  }
  const s = merchant.secrets;
  const paycloud = payCloudAppOf(merchant);
  return {
    ...base,
    region: merchant.region,
    mchid: merchant.mchid,
    appid: merchant.appid,
    apiV2Key: s.apiV2Key,
    apiV3Key: s.apiV3Key,
    merchantSerialNo: s.merchantSerialNo,
    merchantPrivateKeyPem: s.merchantPrivateKeyPem,
    merchantCertificatePem: s.merchantCertificatePem,
    platformSerialNo: s.platformSerialNo,
    platformCertificatePem: s.platformCertificatePem,
    platformPublicKeyId: s.platformPublicKeyId,
    platformPublicKeyPem: s.platformPublicKeyPem,
    platformMode: merchant.settings.platformMode,
    ...apiV2ClientCertificateOf(s),
    ...(paycloud ? { paycloud } : {}),
    baseUrl: urls.baseUrl,
    ...(urls.httpsBaseUrl ? { httpsBaseUrl: urls.httpsBaseUrl } : {}),
  };
}

function newMchid(): string {
  return `19${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

function checkSettings(settings: Partial<MerchantSettings>): MerchantSettings {
  const merged = { ...DEFAULT_SETTINGS, ...settings };
  if (!isKnownCurrency(merged.currency)) throw new RangeError(`unknown currency ${merged.currency}`);
  if (!Number.isSafeInteger(merged.exchangeRate) || merged.exchangeRate <= 0) throw new RangeError('exchangeRate must be a positive integer (rate × 10^8)');
  if (merged.platformMode !== 'certificate' && merged.platformMode !== 'public_key') throw new RangeError('platformMode must be certificate or public_key');
  return merged;
}

/**
 * WeChat keys and the APIv2 mTLS client certificate for every merchant with keys; direct merchants also get a
 * PayCloud app (both kept in the secrets' extra fields).
 */
async function merchantSecrets(store: MerchantStore, kind: MerchantKind, mchid: string, appid: string): Promise<MerchantSecrets> {
  const payCloudApp = async () => generatePayCloudApp(mchid, (await payCloudGatewayKeyPair(store)).publicKeySpkiBase64);
  const clientCertificate = async () => generateApiV2ClientCertificate(await sandboxCertificateAuthority(store), mchid);
  const [keys, paycloud, client] = await Promise.all([generateMerchantKeys({ mchid, appid }), kind === 'direct' ? payCloudApp() : null, clientCertificate()]);
  return { ...keys, ...client, ...(paycloud ? { paycloud } : {}) };
}

/** Creates a merchant with fresh keys (sub-merchants get none: their provider signs for them). */
export async function provisionMerchant(store: MerchantStore, clock: Clock, req: ProvisionRequest): Promise<Merchant> {
  const kind = req.mode ?? 'direct';
  let parent: Merchant | null = null;
  if (kind === 'sub_merchant') {
    parent = req.spMchid ? await store.getMerchant(req.spMchid) : null;
    if (parent?.kind !== 'service_provider') throw new CoreError('MERCHANT_NOT_FOUND', 'sp_mchid must name a service provider');
  }
  if (req.mchid !== undefined && !/^\d{6,12}$/.test(req.mchid)) throw new RangeError('mchid must be 6–12 digits');
  let mchid = req.mchid ?? newMchid();
  while (!req.mchid && (await store.getMerchant(mchid))) mchid = newMchid();
  const appid = `wx${randomBytes(8).toString('hex')}`;
  const merchant: Merchant = {
    mchid,
    appid,
    kind,
    parentMchid: parent?.mchid ?? null,
    region: req.region ?? parent?.region ?? 'mainland',
    settings: checkSettings({ ...(req.region === 'global' ? { currency: 'HKD' } : {}), ...req.settings }),
    clockOffsetMs: 0,
    secrets: kind === 'sub_merchant' ? null : await merchantSecrets(store, kind, mchid, appid),
    createdAt: clock.now(),
  };
  await store.insertMerchant(merchant);
  return merchant;
}
