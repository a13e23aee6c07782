/**
 * `tradegate start --workers N`: N gateway processes behind one port (Node's cluster module), all on one
 * PostgreSQL server. Gateway processes are stateless — row locks, unique keys and outbox leases keep them
 * correct — so the primary checks the ports, takes the admin token from the data directory, provisions the demo
 * merchant once, and forks. A worker that cannot start ends the whole start (no respawn loop on a busy port); a
 * worker that dies later is forked again after a back-off, and the primary gives up when workers keep dying.
 */
import cluster, { type Worker } from 'node:cluster';
import { loadOrCreateAdminToken } from './admin-token.ts';
import type { GatewayConfig } from './config.ts';
import { systemClock } from './core/ports.ts';
import { startGateway, type Gateway } from './gateway.ts';
import { bindListener } from './listeners.ts';
import { gatewayOptionsOf } from './start-options.ts';
import { provisionMerchant } from './sandbox/provision.ts';
import { openStore } from './store/open-store.ts';
import { databaseStoreOptions } from './process-guards.ts';

export interface WorkerReady {
  readonly kind: 'ready';
  readonly baseUrl: string;
  readonly httpsBaseUrl: string | null;
}

/** A worker's exit code when its gateway could not start (port in use, database unreachable …). */
export const WORKER_START_FAILED = 3;
/** More deaths than this within DEATH_WINDOW_MS and the primary exits. */
const MAX_DEATHS = 5;
const DEATH_WINDOW_MS = 60_000;
const MAX_BACKOFF_MS = 10_000;

/** In a worker: start one gateway and tell the primary where it listens. */
export async function runClusterWorker(config: GatewayConfig, adminToken: string | undefined): Promise<Gateway> {
  const gateway = await startGateway({
    ...gatewayOptionsOf(config),
    adminToken,
    provisionDemo: false,
  }).catch((err: Error) => {
    process.stderr.write(`tradegate: worker ${process.pid}: ${err.message}\n`);
    process.exit(WORKER_START_FAILED);
  });
  const ready: WorkerReady = { kind: 'ready', baseUrl: gateway.baseUrl, httpsBaseUrl: gateway.httpsBaseUrl };
  process.send?.(ready);
  const stop = () => void gateway.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return gateway;
}

/** Fails at once when a fixed port is taken: the workers would otherwise fail one after another. */
async function checkPort(host: string, port: number, kind: 'HTTP' | 'HTTPS'): Promise<void> {
  if (port === 0) return;
  await (await bindListener(host, port, kind)).close();
}

export interface PrimaryHooks {
  /** The start banner (stderr: it shows the admin token). */
  banner(lines: string[]): void;
  /** Says why and exits 1. */
  fail(message: string): never;
}

/** In the primary: check, prepare once, fork `workers` processes, restart any that dies, print the banner once. */
export async function runClusterPrimary(config: GatewayConfig, hooks: PrimaryHooks): Promise<{ stop(): void }> {
  if (!config.databaseUrl) hooks.fail('--workers needs --database-url: the embedded database serves one process');
  await checkPort(config.host, config.port, 'HTTP');
  await checkPort(config.host, config.tlsPort, 'HTTPS');
  const adminToken = loadOrCreateAdminToken(config.dataDir, config.adminToken);
  const store = await openStore(databaseStoreOptions(config));
  let demo: string[] = [];
  try {
    if ((await store.listMerchants()).length === 0) {
      const merchant = await provisionMerchant(store, systemClock, {});
      demo = [`  demo merchant mchid=${merchant.mchid} appid=${merchant.appid}`, `  credentials: GET /sandbox/merchants/${merchant.mchid} (admin token)`];
    }
  } finally {
    await store.db.close();
  }

  let stopping = false;
  let announced = false;
  const deaths: number[] = [];
  const fork = () => {
    const worker = cluster.fork({ TRADEGATE_CLUSTER_ADMIN_TOKEN: adminToken, TRADEGATE_CLUSTER_WORKER: '1' });
    worker.on('message', (msg: WorkerReady) => {
      if (msg?.kind !== 'ready' || announced) return;
      announced = true;
      hooks.banner([
        `tradegate listening on ${msg.baseUrl} with ${config.workers} worker processes`,
        '  database:    PostgreSQL server',
        ...(msg.httpsBaseUrl ? [`  https:       ${msg.httpsBaseUrl}`] : []),
        `  admin token: ${adminToken}  (sandbox API: Authorization: Bearer <token>)`,
        ...demo,
      ]);
    });
  };
  /** Stops every worker (SIGTERM), then exits with `code` once they are gone (5 s at most). */
  const shutdown = (code: number) => {
    if (stopping) return;
    stopping = true;
    const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    if (alive().length === 0) process.exit(code);
    for (const w of alive()) w.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (alive().length === 0) process.exit(code);
    });
    setTimeout(() => process.exit(code), 5000).unref();
  };
  const stop = () => shutdown(0);
  const giveUp = (message: string) => {
    process.stderr.write(`tradegate: ${message}\n`);
    shutdown(1);
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (code === WORKER_START_FAILED && !announced) return giveUp('a worker could not start (its reason is above); stopping');
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0] < now - DEATH_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_DEATHS) {
      return giveUp(`workers keep dying (${deaths.length} in ${DEATH_WINDOW_MS / 1000} s, the last: ${code ?? signal}); stopping`);
    }
    const delay = Math.min(250 * 2 ** (deaths.length - 1), MAX_BACKOFF_MS);
    process.stderr.write(`tradegate: worker ${worker.process.pid} exited (${code ?? signal}); a new one in ${delay} ms\n`);
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });
  for (let i = 0; i < config.workers; i++) fork();
  return { stop };
}

export const isClusterWorker = (flagged: boolean) => cluster.isWorker && flagged;
