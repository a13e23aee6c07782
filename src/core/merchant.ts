import { rulesFor, type LifecycleRules, type RuleSetName } from './rules.ts';

export type MerchantKind = 'direct' | 'service_provider' | 'sub_merchant';
export type Region = 'mainland' | 'global';

/** Key material held for a merchant. The private keys of the platform are the gateway's secrets. */
export interface MerchantSecrets {
  readonly apiV2Key: string;
  readonly apiV3Key: string;
  readonly merchantSerialNo: string;
  readonly merchantPrivateKeyPem: string;
  readonly merchantCertificatePem: string;
  readonly platformSerialNo: string;
  readonly platformCertificatePem: string;
  readonly platformPrivateKeyPem: string;
  readonly platformPublicKeyId: string;
  readonly platformPublicKeyPem: string;
  readonly platformPublicKeyPrivatePem: string;
  /** Fields later dialects add (mTLS client certificate, PayCloud app keys …). */
  readonly [extra: string]: unknown;
}

export interface MerchantSettings {
  /** false: "too early" refusals become the within-window outcome. */
  readonly strictTiming: boolean;
  /** Accept the known client defect that omits the final \n of an empty-body request signature. */
  readonly lenientEmptyBodySignature: boolean;
  /** How responses are signed when the request names no key: platform certificate or platform public key. */
  readonly platformMode: 'certificate' | 'public_key';
  readonly currency: string;
  /** Global merchants: payer-currency exchange rate × 10^8. */
  readonly exchangeRate: number;
}

export interface Merchant {
  readonly mchid: string;
  readonly appid: string;
  readonly kind: MerchantKind;
  /** The service provider of a sub-merchant. */
  readonly parentMchid: string | null;
  readonly region: Region;
  readonly settings: MerchantSettings;
  /** Sandbox: how far this merchant's business clock runs ahead of the wall clock. */
  readonly clockOffsetMs: number;
  readonly secrets: MerchantSecrets | null;
  readonly createdAt: number;
  /** Sandbox fault lab: how many live fault definitions the merchant has (0 or absent: none, nothing to load). */
  readonly faultCount?: number;
}

/** A merchant as operations see it: no key material (signing and verifying belong to the protocol adapters). */
export type MerchantProfile = Omit<Merchant, 'secrets'>;

export const DEFAULT_SETTINGS: MerchantSettings = {
  strictTiming: true,
  lenientEmptyBodySignature: false,
  platformMode: 'certificate',
  currency: 'CNY',
  exchangeRate: 100_000_000,
};

/** The business time of a merchant: wall clock plus its sandbox offset. */
export function businessNow(merchant: Pick<Merchant, 'clockOffsetMs'>, wallNow: number): number {
  return wallNow + merchant.clockOffsetMs;
}

export function merchantRuleOverrides(merchant: Pick<MerchantProfile, 'settings'>): Partial<LifecycleRules> {
  return { strictTiming: merchant.settings.strictTiming };
}

/** The rules of one operation: the dialect's rule set with the merchant's overrides, resolved once. */
export function resolveRules(name: RuleSetName, merchant: Pick<MerchantProfile, 'settings'>): LifecycleRules {
  return rulesFor(name, merchantRuleOverrides(merchant));
}
