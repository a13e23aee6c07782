/** What `tradegate start` hands the gateway from its configuration, the same for one process and for each worker. */
import type { GatewayConfig } from './config.ts';
import type { GatewayOptions } from './gateway.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { databaseStoreOptions } from './process-guards.ts';

export function gatewayOptionsOf(config: GatewayConfig, dataDir?: string): GatewayOptions {
  return {
    host: config.host,
    port: config.port,
    store: databaseStoreOptions(config, dataDir),
    logLevel: config.logLevel,
    tlsPort: config.tlsPort,
    allowInsecureSecapi: config.allowInsecureSecapi,
    limits: config.limits,
    notifyPolicy: { allow: config.notifyAllow, deny: config.notifyDeny },
    requestLog: config.requestLog,
    metrics: new GatewayMetrics({ processMetrics: true }),
  };
}
