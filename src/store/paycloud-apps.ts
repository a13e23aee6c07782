/**
 * PayCloud applications (paycloud-openapi.md §2–§3): which merchant an `app_id` belongs to, and the gateway key
 * pair that signs every PayCloud response and notification. The app's keys live in the merchant's secrets
 * (`secrets.paycloud`); the gateway key pair is one per environment, shared by every process through the store.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { Merchant } from '../core/merchant.ts';
import type { MerchantStore } from '../core/ports.ts';
import type { SqlRunner } from './sql-client.ts';
import { merchantFromRow } from './rows.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A merchant's PayCloud app, as kept in `MerchantSecrets.paycloud` and handed out in the credentials JSON. */
export interface PayCloudApp {
  readonly appId: string;
  /** The merchant_no the app may act for (= the merchant's mchid). */
  readonly merchantNo: string;
  readonly storeNo: string;
  readonly appPrivateKeyPkcs8Base64: string;
  readonly appPublicKeySpkiBase64: string;
  readonly gatewayPublicKeySpkiBase64: string;
}

/** RSA-2048 in the base64 DER forms the PayCloud SDKs take (PKCS#8 private, X.509 SPKI public). */
export interface DerKeyPair {
  readonly privateKeyPkcs8Base64: string;
  readonly publicKeySpkiBase64: string;
}

/** Generated in libuv's thread pool: RSA key generation would stall the event loop for tens of milliseconds. */
export async function generateDerKeyPair(): Promise<DerKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return { privateKeyPkcs8Base64: privateKey.toString('base64'), publicKeySpkiBase64: publicKey.toString('base64') };
}

export const PAYCLOUD_GATEWAY_SECRET = 'paycloud-gateway-key';

/** The environment's gateway key pair: created by the first process that asks, the same for all of them after. */
export function payCloudGatewayKeyPair(store: Pick<MerchantStore, 'gatewaySecret'>): Promise<DerKeyPair> {
  return store.gatewaySecret(PAYCLOUD_GATEWAY_SECRET, generateDerKeyPair);
}

/** The app a merchant holds, if it was provisioned with one. */
export function payCloudAppOf(merchant: Merchant): PayCloudApp | null {
  const app = merchant.secrets?.paycloud as Partial<PayCloudApp> | undefined;
  return app && typeof app.appId === 'string' && typeof app.appPublicKeySpkiBase64 === 'string' ? (app as PayCloudApp) : null;
}

/**
 * The merchant that owns `appId`, or null. Runs before any signature is checked, so it must stay cheap for anyone:
 * the expression matches the index `merchants_paycloud_app_id` (migration 5) exactly.
 */
export const APP_ID_LOOKUP_SQL = `SELECT * FROM merchants WHERE secrets->'paycloud'->>'appId' = $1 AND secrets->'paycloud'->>'appId' IS NOT NULL LIMIT 1`;

export async function findMerchantByAppId(db: SqlRunner, appId: string): Promise<Merchant | null> {
  if (appId.includes('\u0000')) return null; // PostgreSQL text cannot hold U+0000: no app id has one
  const { rows } = await db.query(APP_ID_LOOKUP_SQL, [appId]);
  return rows[0] ? merchantFromRow(rows[0]) : null;
}
