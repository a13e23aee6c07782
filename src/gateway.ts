/**
 * A running gateway: store, HTTP server, sweeper. Used by the CLI and by tests that need a real port
 * (third-party clients speak HTTP, not inject()).
 */
import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { loadOrCreateAdminToken } from './admin-token.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { bindListener, setCertificate, type Listener } from './listeners.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { bufferedStdout } from './observability/log-destination.ts';
import { missingMigrations } from './store/migrations.ts';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './listener-limits.ts';
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
  /** The registry /metrics shows (the CLI's includes Node's process metrics); absent: one of its own. */
  readonly metrics?: GatewayMetrics;
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
  readonly metrics: GatewayMetrics;
  close(): Promise<void>;
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
 * The HTTPS listener's certificate: issued at start from the sandbox CA shared by every process on the database.
 * Client certificates are requested but not required at the handshake (only /secapi/* needs one; the APIv2
 * plugin drops a /secapi/* connection whose certificate does not chain to the CA).
 */
async function installServerCertificate(store: SqlStore, listener: Listener, host: string): Promise<void> {
  const ca = await sandboxCertificateAuthority(store);
  const bare = host.replace(/^\[|\]$/g, '');
  const server = await issueServerCertificate(ca, bare === '0.0.0.0' || bare === '::' ? [] : [bare]);
  setCertificate(listener, { key: server.keyPem, cert: server.certPem, ca: [ca.certPem] });
}

/** Releases what a start took so far, last first (a failed start leaves nothing bound, locked or open). */
class Undo {
  private readonly steps: (() => unknown)[] = [];
  push(step: () => unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
    this.steps.length = 0;
  }
}

/**
 * Start-up order: bind both listeners with their limits (a busy port fails here, before anything is written), make
 * the data directory owner-only and lock it (embedded database), open the database, then issue the HTTPS
 * certificate (it comes from the database). Until the end `/healthz` answers 200 and `/readyz` 503.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const undo = new Undo();
  try {
    return await start(options, undo);
  } catch (err) {
    await undo.run();
    throw err;
  }
}

async function start(options: GatewayOptions, undo: Undo): Promise<Gateway> {
  const ownPorts: number[] = [];
  const notifyPolicy = addressPolicy(options.notifyPolicy, () => ownPorts); // built first: a bad CIDR stops the start
  const limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
  const http = await bindListener(options.host, options.port, 'HTTP', limits);
  undo.push(() => http.close());
  const httpsListener = options.tlsPort === undefined ? null : await bindListener(options.host, options.tlsPort, 'HTTPS', limits);
  if (httpsListener) undo.push(() => httpsListener.close());
  ownPorts.push(http.port, ...(httpsListener ? [httpsListener.port] : []));

  // Owner-only whatever the umask (secrets live here); an existing directory that was not is tightened and logged.
  const dataDir = options.dataDir;
  const tightened = dataDir ? ensurePrivateDir(dataDir) : 0;
  // Runs last on close (and after a failed start): files the database rewrote while running (see private-dir.ts).
  if (dataDir) undo.push(() => tightenTree(dataDir));
  const embeddedDir = !options.store.databaseUrl && !options.store.inMemory ? options.store.dataDir : undefined;
  const lock = embeddedDir ? lockDataDir(embeddedDir) : null;
  if (lock) undo.push(() => lock.release());
  const store = await openStore(options.store);
  undo.push(() => store.db.close());

  const clock = options.clock ?? systemClock;
  // Loaded now, kept for the process's life: PayCloud answers (its system error too) stay signed through an outage.
  await gatewayKeys(store);
  const deps: GatewayDeps = { store, merchants: store, nonces: store, sql: store.db, clock, ids: wechatIds, payer: sandboxPayer };
  const adminToken = loadOrCreateAdminToken(options.dataDir, options.adminToken);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const urls: { baseUrl: string; httpsBaseUrl?: string } = { baseUrl: `http://${host}:${http.port}/` };
  if (httpsListener) urls.httpsBaseUrl = `https://${host}:${httpsListener.port}/`;
  const outbox = outboxStore(store.db);
  const metrics = options.metrics ?? new GatewayMetrics();
  metrics.attach({
    outbox: async () => {
      const b = await outbox.backlog(clock.now());
      return { pending: b.pending, oldestDueAgeSeconds: b.oldestDueAgeMs / 1000 };
    },
    pool: () => store.db.poolStats(),
    shared: () => store.db.sharedFigures(),
  });
  let started = false;
  const readiness = {
    async notReadyBecause(): Promise<string | null> {
      if (!started) return 'starting';
      const missing = await withTimeout(missingMigrations(store.db), 2000).catch(() => null);
      if (missing === null) return 'database unreachable';
      return missing.length > 0 ? `migrations pending: ${missing.join(', ')}` : null;
    },
  };
  const logLevel = options.logLevel;
  const logs = logLevel === false ? null : bufferedStdout();
  if (logs) undo.push(() => logs.close());
  const serverOptions: ServerOptions = {
    logger: logs && logLevel !== false ? { level: logLevel ?? 'info', redact: REDACTED_HEADERS, stream: logs.stream } : false,
    allowInsecureSecapi: options.allowInsecureSecapi ?? false,
    ops: { metrics, readiness },
    limits,
    requestLog: { ...DEFAULT_REQUEST_LOG_OPTIONS, ...options.requestLog },
    sandbox: {
      adminToken,
      outbox,
      faults: faultAdmin(store.db),
      urls,
      onMerchantCreated: (merchant, credentials) => void writeCredentials(options.dataDir, merchant.mchid, credentials),
    },
  };
  const app = await buildServer(deps, { ...serverOptions, listener: http });
  undo.push(() => app.close());
  if (tightened > 0) {
    app.log.warn({ dataDir: options.dataDir, entries: tightened }, 'data directory was readable by other users: permissions tightened to owner-only');
  }
  await app.ready();
  let httpsApp: FastifyInstance | null = null;
  if (httpsListener) {
    await installServerCertificate(store, httpsListener, options.host);
    const secure = await buildServer(deps, { ...serverOptions, listener: httpsListener });
    undo.push(() => secure.close());
    await secure.ready();
    httpsApp = secure;
  }

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
      .finally(() => {
        sweeping = false;
      });
  }, options.sweepIntervalMs ?? 1000);
  sweeper.unref();

  const notifier = startNotificationWorker({
    store,
    outbox,
    clock,
    ids: wechatIds,
    encoders: { ...NOTIFICATION_ENCODERS, paycloud: payCloudNotificationEncoder(store) },
    intervalMs: options.notifyIntervalMs,
    // The gateway's own listeners are never a notify_url (unless explicitly allowed).
    policy: notifyPolicy,
    onError: (err) => app.log.warn({ err, operation: 'notify' }, 'notification delivery failed'),
    onAttempt: (a) => {
      metrics.attempt(a.dialect, a.result);
      if (a.result === 'delivered') return;
      app.log.warn(
        {
          mchid: a.mchid,
          dialect: a.dialect,
          operation: 'notify',
          code: a.result,
          event: a.eventId,
          attempt: a.attempt,
          statusCode: a.statusCode,
          error: a.error,
          next: a.next,
        },
        a.next === 'failed' ? 'notification delivery failed; no retry left' : 'notification delivery failed; will retry',
      );
    },
  });
  started = true;

  return {
    app,
    store,
    deps,
    adminToken,
    demo,
    notifier,
    metrics,
    baseUrl: urls.baseUrl,
    httpsApp,
    httpsBaseUrl: urls.httpsBaseUrl ?? null,
    close: once(async () => {
      started = false;
      clearInterval(sweeper);
      await notifier.stop();
      // Stop accepting first; requests in flight finish before the apps and the database close.
      await Promise.all([http.close(), httpsListener?.close()]);
      await undo.run();
    }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Closing twice (a test's cleanup after an explicit close) is harmless. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}
