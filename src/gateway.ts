/**
 * A running gateway: store, HTTP server, sweeper. Used by the CLI and by tests that need a real port
 * (third-party clients speak HTTP, not inject()).
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir, tightenTree } from './lib/private-dir.ts';
import { join } from 'node:path';
import type { Merchant } from './core/merchant.ts';
import { wechatIds } from './core/ids.ts';
import { systemClock, type Clock } from './core/ports.ts';
import { sweepOrders } from './operations/sweep-orders.ts';
import { issueServerCertificate, sandboxCertificateAuthority } from './sandbox/credentials.ts';
import { sandboxPayer } from './sandbox/payer.ts';
import { credentialsJson, provisionMerchant } from './sandbox/provision.ts';
import { buildServer, REDACTED_HEADERS, type ServerOptions } from './server.ts';
import type { ListenerLimits } from './listener-limits.ts';
import { addressPolicy, type NotifyPolicyOptions } from './notify/address-policy.ts';
import { DEFAULT_REQUEST_LOG_OPTIONS, type RequestLogOptions } from './request-log/writer.ts';
import type { GatewayDeps } from './server-deps.ts';
import { openStore, type StoreOptions } from './store/open-store.ts';
import { purgeNonces, type SqlStore } from './store/sql-store.ts';
import { outboxStore } from './store/outbox-store.ts';
import { faultAdmin } from './store/fault-store.ts';
import type { EncoderRegistry } from './notify/encoder.ts';
import { startNotificationWorker, type NotificationWorker } from './notify/worker.ts';
import { globalNotificationEncoder, v3NotificationEncoder } from './protocols/wechatpay-v3/notification-encoder.ts';
import { v2NotificationEncoder } from './protocols/wechatpay-v2/notification-encoder.ts';
import { payCloudNotificationEncoder } from './protocols/paycloud/notification-encoder.ts';
import { gatewayKeys } from './protocols/paycloud/gateway-key.ts';

/** Which dialect's format a notification takes: the dialect that created the order. */
const NOTIFICATION_ENCODERS: EncoderRegistry = {
  'wechatpay-v3': v3NotificationEncoder,
  'wechatpay-global': globalNotificationEncoder,
  'wechatpay-v2': v2NotificationEncoder,
};

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
  readonly notifyIntervalMs?: number;
  /** Port of the HTTPS listener (mutual TLS for APIv2 /secapi/*; 0 = any free port); absent: no HTTPS listener. */
  readonly tlsPort?: number;
  /** Serve APIv2 /secapi/* over plain HTTP too (quick trials; the real gateway never does). */
  readonly allowInsecureSecapi?: boolean;
  /** Request/header/keep-alive timeouts and the connection cap of both listeners; absent: the defaults. */
  readonly limits?: ListenerLimits;
  /** Which notify_url addresses deliveries may reach (CIDR lists); absent: the default policy. */
  readonly notifyPolicy?: NotifyPolicyOptions;
  /** Request log bounds (defaults: 100,000 rows, 7 days). */
  readonly requestLog?: Partial<RequestLogOptions>;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly store: SqlStore;
  readonly deps: GatewayDeps;
  readonly baseUrl: string;
  /** The HTTPS listener and its base URL, when `tlsPort` was given. */
  readonly httpsApp: FastifyInstance | null;
  readonly httpsBaseUrl: string | null;
  readonly adminToken: string;
  readonly demo: { merchant: Merchant; credentialsPath: string | null } | null;
  readonly notifier: NotificationWorker;
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
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${mchid}.json`);
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/**
 * The HTTPS listener: the same routes as the HTTP one, a server certificate from the sandbox CA shared by every
 * process on the database, and client certificates requested but not required at the handshake (only /secapi/*
 * needs one; the APIv2 plugin drops a /secapi/* connection whose certificate does not chain to the CA).
 */
async function startHttps(deps: GatewayDeps, serverOptions: ServerOptions, host: string, port: number): Promise<{ app: FastifyInstance; port: number }> {
  const ca = await sandboxCertificateAuthority(deps.store);
  const bare = host.replace(/^\[|\]$/g, '');
  const server = await issueServerCertificate(ca, bare === '0.0.0.0' || bare === '::' ? [] : [bare]);
  const app = await buildServer(deps, {
    ...serverOptions,
    https: { key: server.keyPem, cert: server.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: false },
  });
  await app.listen({ host, port });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : port };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  // Owner-only whatever the umask (secrets live here); an existing directory that was not is tightened and logged.
  const tightened = options.dataDir ? ensurePrivateDir(options.dataDir) : 0;
  const ownPorts: number[] = [];
  const notifyPolicy = addressPolicy(options.notifyPolicy, () => ownPorts); // built first: a bad CIDR stops the start
  const store = await openStore(options.store);
  const clock = options.clock ?? systemClock;
  // Loaded now, kept for the process's life: PayCloud answers (its system error too) stay signed through an outage.
  await gatewayKeys(store);
  const deps: GatewayDeps = { store, merchants: store, nonces: store, sql: store.db, clock, ids: wechatIds, payer: sandboxPayer };
  const adminToken = loadOrCreateAdminToken(options.dataDir, options.adminToken);
  const urls: { baseUrl: string; httpsBaseUrl?: string } = { baseUrl: '' };
  const outbox = outboxStore(store.db);
  const serverOptions: ServerOptions = {
    logger: options.logLevel === false ? false : { level: options.logLevel ?? 'info', redact: REDACTED_HEADERS },
    allowInsecureSecapi: options.allowInsecureSecapi ?? false,
    limits: options.limits,
    requestLog: { ...DEFAULT_REQUEST_LOG_OPTIONS, ...options.requestLog },
    sandbox: {
      adminToken,
      outbox,
      faults: faultAdmin(store.db),
      urls,
      onMerchantCreated: (merchant, credentials) => void writeCredentials(options.dataDir, merchant.mchid, credentials),
    },
  };
  const app = await buildServer(deps, serverOptions);
  if (tightened > 0) {
    app.log.warn({ dataDir: options.dataDir, entries: tightened }, 'data directory was readable by other users: permissions tightened to owner-only');
  }
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  Object.assign(urls, { baseUrl: `http://${host}:${port}/` });
  const https = options.tlsPort === undefined ? null : await startHttps(deps, serverOptions, options.host, options.tlsPort);
  if (https) Object.assign(urls, { httpsBaseUrl: `https://${host}:${https.port}/` });
  ownPorts.push(port, ...(https ? [https.port] : []));

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

  const notifier = startNotificationWorker({
    store, outbox, clock, ids: wechatIds,
    encoders: { ...NOTIFICATION_ENCODERS, paycloud: payCloudNotificationEncoder(store) },
    intervalMs: options.notifyIntervalMs,
    // The gateway's own listeners are never a notify_url (unless explicitly allowed).
    policy: notifyPolicy,
    onError: (err) => app.log.warn({ err }, 'notification delivery failed'),
  });

  return {
    app, store, deps, adminToken, demo, notifier,
    baseUrl: urls.baseUrl,
    httpsApp: https?.app ?? null,
    httpsBaseUrl: urls.httpsBaseUrl ?? null,
    close: once(async () => {
      clearInterval(sweeper);
      await notifier.stop();
      await app.close();
      await https?.app.close();
      await store.db.close();
      if (options.dataDir) tightenTree(options.dataDir); // files the database rewrote while running (see private-dir.ts)
    }),
  };
}

/** Closing twice (a test's cleanup after an explicit close) is harmless. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}
