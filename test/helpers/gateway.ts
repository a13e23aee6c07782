/** A gateway on a real loopback port, for tests that drive it with third-party clients. */
import { Wechatpay } from 'wechatpay-axios-plugin';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import type { StoreOptions } from '../../src/store/open-store.ts';
import type { TestDatabase } from './database.ts';
import type { ManualClock } from './context.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestGateway extends Gateway {
  /** Calls the sandbox admin API; returns status and parsed JSON. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  newMerchant(body?: Record<string, unknown>): Promise<Credentials>;
  advance(mchid: string, seconds: number): Promise<void>;
}

export interface Credentials {
  mchid: string;
  appid: string;
  apiV2Key: string;
  apiV3Key: string;
  merchantSerialNo: string;
  merchantPrivateKeyPem: string;
  merchantCertificatePem: string;
  platformSerialNo: string;
  platformCertificatePem: string;
  platformPublicKeyId: string;
  platformPublicKeyPem: string;
  baseUrl: string;
  [more: string]: unknown;
}

/** `tls`: also start the HTTPS listener (mutual TLS for APIv2 /secapi/*) on a free port. */
export interface TestGatewayOptions {
  readonly tls?: boolean;
  readonly allowInsecureSecapi?: boolean;
  /** Store options over the test database's own (pool size, bounds). */
  readonly store?: Partial<StoreOptions>;
}

export async function startTestGateway(database: TestDatabase, clock?: ManualClock, options: TestGatewayOptions = {}): Promise<TestGateway> {
  const ownStore = await database.storeOptions();
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    store: { ...ownStore, ...options.store },
    adminToken: ADMIN_TOKEN,
    logLevel: false,
    clock,
    ...(options.tls ? { tlsPort: 0 } : {}),
    allowInsecureSecapi: options.allowInsecureSecapi,
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, gateway.baseUrl), {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    ...gateway,
    // The schema this gateway took is dropped with it: tests that never call database.cleanup() left one per file.
    close: async () => {
      await gateway.close();
      await database.release(ownStore);
    },
    admin,
    async newMerchant(body = {}) {
      const res = await admin('POST', '/sandbox/merchants', body);
      if (res.status !== 201) throw new Error(`provisioning failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Credentials;
    },
    async advance(mchid, seconds) {
      const res = await admin('POST', `/sandbox/merchants/${mchid}/clock`, { advance_seconds: seconds });
      if (res.status !== 200) throw new Error(`clock failed: ${res.status}`);
    },
  };
}

/** An APIv3 code payment's body (`/v3/pay/transactions/codepay`), 10.00 CNY, paid with `authCode`. */
export function codepayBody(c: Credentials, outTradeNo: string, authCode: string, description = 'code payment') {
  return {
    appid: c.appid,
    mchid: c.mchid,
    description,
    out_trade_no: outTradeNo,
    payer: { auth_code: authCode },
    amount: { total: 1000, currency: 'CNY' },
    scene_info: { store_info: { out_id: 'S1' } },
  };
}

/** A wechatpay-axios-plugin client configured the way a merchant would: base URL and the credentials JSON. */
export function merchantClient(c: Credentials, mode: 'certificate' | 'public_key' = 'certificate') {
  const certs = mode === 'certificate' ? { [c.platformSerialNo]: c.platformCertificatePem } : { [c.platformPublicKeyId]: c.platformPublicKeyPem };
  return new Wechatpay({
    mchid: c.mchid,
    serial: c.merchantSerialNo,
    privateKey: c.merchantPrivateKeyPem,
    certs,
    baseURL: c.baseUrl,
    // Public-key mode: the official docs tell merchants to name the key in Wechatpay-Serial on every request.
    ...(mode === 'public_key' ? { headers: { 'Wechatpay-Serial': c.platformPublicKeyId } } : {}),
  } as never) as any;
}

/** The axios error's response (status, data) of a refused call, or fails the test. */
export async function refused(promise: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    await promise;
  } catch (err: any) {
    if (err?.response) return { status: err.response.status, data: err.response.data };
    throw err;
  }
  throw new Error('expected the call to be refused');
}
