/**
 * A running gateway: store, HTTP server, sweeper. Used by the CLI and by tests that need a real port
 * (third-party clients speak HTTP, not inject()).
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Merchant } from './core/merchant.ts';
import { wechatIds } from './core/ids.ts';
import { systemClock, type Clock } from './core/ports.ts';
import { sweepOrders } from './operations/sweep-orders.ts';
import { sandboxPayer } from './sandbox/payer.ts';
import { credentialsJson, provisionMerchant } from './sandbox/provision.ts';
import { buildServer, REDACTED_HEADERS } from './server.ts';
import type { GatewayDeps } from './server-deps.ts';
import { openStore, type StoreOptions } from './store/open-store.ts';
import { purgeNonces, type SqlStore } from './store/sql-store.ts';

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly store: StoreOptions;
  /** Where the admin token and merchants' credentials files live (absent: nothing is written). */
  readonly dataDir?: string;
  readonly adminToken?: string;
  readonly clock?: Clock;
  readonly logLevel?: string | false;
  /** Provision a demo merchant when the database has none (first start). */
  readonly provisionDemo?: boolean;
  readonly sweepIntervalMs?: number;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly store: SqlStore;
  readonly deps: GatewayDeps;
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly demo: { merchant: Merchant; credentialsPath: string | null } | null;
  close(): Promise<void>;
}

function loadOrCreateAdminToken(dataDir: string | undefined, given: string | undefined): string {
  if (given) return given;
  const file = dataDir ? join(dataDir, 'admin-token') : null;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  if (file) writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function writeCredentials(dataDir: string | undefined, mchid: string, credentials: unknown): string | null {
  if (!dataDir) return null;
  const dir = join(dataDir, 'merchants');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${mchid}.json`);
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const store = await openStore(options.store);
  const clock = options.clock ?? systemClock;
  const deps: GatewayDeps = { store, clock, ids: wechatIds, payer: sandboxPayer };
  const adminToken = loadOrCreateAdminToken(options.dataDir, options.adminToken);
  const urls = { baseUrl: '' };
  const app = await buildServer(deps, {
    logger: options.logLevel === false ? false : { level: options.logLevel ?? 'info', redact: REDACTED_HEADERS },
    sandbox: {
      adminToken,
      urls,
      onMerchantCreated: (merchant, credentials) => void writeCredentials(options.dataDir, merchant.mchid, credentials),
    },
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  Object.assign(urls, { baseUrl: `http://${host}:${port}/` });

  let demo: Gateway['demo'] = null;
  if (options.provisionDemo && (await store.listMerchants()).length === 0) {
    const merchant = await provisionMerchant(store, clock, {});
    demo = { merchant, credentialsPath: writeCredentials(options.dataDir, merchant.mchid, credentialsJson(merchant, urls)) };
  }

  const ctx = { store, clock, ids: wechatIds, protocol: 'system' as const, requestId: null };
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    Promise.all([sweepOrders(ctx, store), purgeNonces(store.db, clock.now())])
      .catch((err) => app.log.warn({ err }, 'sweep failed'))
      .finally(() => { sweeping = false; });
  }, options.sweepIntervalMs ?? 1000);
  sweeper.unref();

  return {
    app, store, deps, adminToken, demo,
    baseUrl: urls.baseUrl,
    async close() {
      clearInterval(sweeper);
      await app.close();
      await store.db.close();
    },
  };
}
