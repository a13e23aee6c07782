import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS } from './store/database.ts';
import { checkListenerLimits, DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './listener-limits.ts';

/** The only reader of process.env: command-line flags win over environment variables, which win over defaults. */
export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly adminToken: string | undefined;
  readonly logLevel: string;
  /** HTTPS listener (mutual TLS on APIv2 /secapi/*). */
  readonly tlsPort: number;
  readonly allowInsecureSecapi: boolean;
  /** Timeouts and connection cap of the listeners (listener-limits.ts). */
  readonly limits: ListenerLimits;
  /** notify_url address policy: CIDRs allowed despite the default denies, and CIDRs always denied. */
  readonly notifyAllow: readonly string[];
  readonly notifyDeny: readonly string[];
  /** Request log bounds: rows kept and days kept. */
  readonly requestLog: { readonly maxRows: number; readonly maxAgeMs: number };
  /** PostgreSQL server: bounds on getting a connection and on each statement's answer; how long startup waits. */
  readonly database: DatabaseBounds;
}

export interface DatabaseBounds {
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  /** Infinity: wait without limit; 0: exit at once when the database is unreachable at startup. */
  readonly waitForDatabaseMs: number;
}

export interface StartFlags {
  host?: string;
  port?: string | number;
  dataDir?: string;
  databaseUrl?: string;
  adminToken?: string;
  logLevel?: string;
  tlsPort?: string | number;
  allowInsecureSecapi?: boolean;
  requestTimeoutMs?: string | number;
  headersTimeoutMs?: string | number;
  keepAliveTimeoutMs?: string | number;
  maxConnections?: string | number;
  notifyAllow?: string;
  notifyDeny?: string;
  requestLogRows?: string | number;
  requestLogDays?: string | number;
  databaseConnectTimeoutMs?: string | number;
  databaseQueryTimeoutMs?: string | number;
  waitForDatabase?: string | number;
}

/** `--wait-for-database`: seconds (0 = do not wait) or `forever` (the default). */
function waitSeconds(value: string | number | undefined): number {
  if (value === undefined || value === '' || value === 'forever') return Number.POSITIVE_INFINITY;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid wait for database: ${value} (seconds ≥ 0, or forever)`);
  return n * 1000;
}

/** A comma-separated CIDR list (flag or env var); empty entries ignored. */
const cidrList = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

function wholeNumber(value: string | number | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid ${name}: ${value} (a whole number ≥ 1)`);
  return n;
}

function portOf(value: string | number, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid ${name}: ${value}`);
  return port;
}

function positive(value: string | number, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid ${name}: ${value}`);
  return n;
}

export function loadConfig(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const port = Number(flags.port ?? env.TRADEGATE_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${flags.port ?? env.TRADEGATE_PORT}`);
  return {
    host: flags.host ?? env.TRADEGATE_HOST ?? '127.0.0.1',
    port,
    dataDir: flags.dataDir ?? env.TRADEGATE_DATA_DIR ?? './.tradegate',
    databaseUrl: flags.databaseUrl ?? env.DATABASE_URL ?? undefined,
    adminToken: flags.adminToken ?? env.TRADEGATE_ADMIN_TOKEN ?? undefined,
    logLevel: flags.logLevel ?? env.TRADEGATE_LOG_LEVEL ?? 'info',
    tlsPort: portOf(flags.tlsPort ?? env.TRADEGATE_TLS_PORT ?? 8443, 'TLS port'),
    allowInsecureSecapi: flags.allowInsecureSecapi ?? ['1', 'true'].includes(env.TRADEGATE_ALLOW_INSECURE_SECAPI ?? ''),
    limits: checkListenerLimits({
      requestTimeoutMs: wholeNumber(flags.requestTimeoutMs ?? env.TRADEGATE_REQUEST_TIMEOUT_MS, DEFAULT_LISTENER_LIMITS.requestTimeoutMs, 'request timeout'),
      headersTimeoutMs: wholeNumber(flags.headersTimeoutMs ?? env.TRADEGATE_HEADERS_TIMEOUT_MS, DEFAULT_LISTENER_LIMITS.headersTimeoutMs, 'headers timeout'),
      keepAliveTimeoutMs: wholeNumber(flags.keepAliveTimeoutMs ?? env.TRADEGATE_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_LISTENER_LIMITS.keepAliveTimeoutMs, 'keep-alive timeout'),
      maxConnections: wholeNumber(flags.maxConnections ?? env.TRADEGATE_MAX_CONNECTIONS, DEFAULT_LISTENER_LIMITS.maxConnections, 'max connections'),
    }),
    notifyAllow: cidrList(flags.notifyAllow ?? env.TRADEGATE_NOTIFY_ALLOW),
    notifyDeny: cidrList(flags.notifyDeny ?? env.TRADEGATE_NOTIFY_DENY),
    requestLog: {
      maxRows: positive(flags.requestLogRows ?? env.TRADEGATE_REQUEST_LOG_ROWS ?? 100_000, 'request log rows'),
      maxAgeMs: positive(flags.requestLogDays ?? env.TRADEGATE_REQUEST_LOG_DAYS ?? 7, 'request log days') * 86_400_000,
    },
    database: {
      connectTimeoutMs: wholeNumber(flags.databaseConnectTimeoutMs ?? env.TRADEGATE_DATABASE_CONNECT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, 'database connect timeout'),
      queryTimeoutMs: wholeNumber(flags.databaseQueryTimeoutMs ?? env.TRADEGATE_DATABASE_QUERY_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS, 'database query timeout'),
      waitForDatabaseMs: waitSeconds(flags.waitForDatabase ?? env.TRADEGATE_WAIT_FOR_DATABASE),
    },
  };
}
