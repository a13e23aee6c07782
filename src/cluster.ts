/**
 * `tradegate start --workers N`: N gateway processes behind one port (Node's cluster module), all on one
 * PostgreSQL server. Gateway processes are stateless — row locks, unique keys and outbox leases keep them
 * correct — so the primary only provisions the demo merchant once, fixes the admin token, and forks.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from './config.ts';
import { startGateway, type Gateway } from './gateway.ts';
import { provisionMerchant } from './sandbox/provision.ts';
import { openStore } from './store/open-store.ts';
import { databaseStoreOptions } from './process-guards.ts';
import { systemClock } from './core/ports.ts';

export interface WorkerReady {
  readonly kind: 'ready';
  readonly baseUrl: string;
  readonly httpsBaseUrl: string | null;
}

/** In a worker: start one gateway and tell the primary where it listens. */
export async function runClusterWorker(config: GatewayConfig): Promise<Gateway> {
  const gateway = await startGateway({
    host: config.host,
    port: config.port,
    store: databaseStoreOptions(config),
    adminToken: process.env.TRADEGATE_CLUSTER_ADMIN_TOKEN,
    logLevel: config.logLevel,
    provisionDemo: false,
    tlsPort: config.tlsPort,
    allowInsecureSecapi: config.allowInsecureSecapi,
    limits: config.limits,
    notifyPolicy: { allow: config.notifyAllow, deny: config.notifyDeny },
    requestLog: config.requestLog,
  });
  const ready: WorkerReady = { kind: 'ready', baseUrl: gateway.baseUrl, httpsBaseUrl: gateway.httpsBaseUrl };
  process.send?.(ready);
  const stop = () => void gateway.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return gateway;
}

/** In the primary: prepare once, fork `workers` processes, restart any that dies, print the banner once. */
export async function runClusterPrimary(config: GatewayConfig, workers: number, print: (lines: string[]) => void): Promise<void> {
  if (!config.databaseUrl) throw new Error('--workers needs --database-url: the embedded database serves one process');
  const store = await openStore(databaseStoreOptions(config));
  let demo: string[] = [];
  if ((await store.listMerchants()).length === 0) {
    const merchant = await provisionMerchant(store, systemClock, {});
    demo = [`  demo merchant mchid=${merchant.mchid} appid=${merchant.appid}`,
      `  credentials: GET /sandbox/merchants/${merchant.mchid} (admin token)`];
  }
  await store.db.close();
  const adminToken = config.adminToken ?? randomBytes(24).toString('base64url');
  let stopping = false;
  let announced = false;
  const fork = () => {
    const worker = cluster.fork({ TRADEGATE_CLUSTER_ADMIN_TOKEN: adminToken, TRADEGATE_CLUSTER_WORKER: '1' });
    worker.on('message', (msg: WorkerReady) => {
      if (msg?.kind !== 'ready' || announced) return;
      announced = true;
      print([`tradegate listening on ${msg.baseUrl} with ${workers} worker processes`, '  database:    PostgreSQL server',
        ...(msg.httpsBaseUrl ? [`  https:       ${msg.httpsBaseUrl}`] : []), `  admin token: ${adminToken}`, ...demo]);
    });
  };
  cluster.on('exit', () => { if (!stopping) fork(); });
  for (let i = 0; i < workers; i++) fork();
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export const isClusterWorker = () => cluster.isWorker && process.env.TRADEGATE_CLUSTER_WORKER === '1';
