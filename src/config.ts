import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './listener-limits.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_DATABASE_CONNECTIONS, DEFAULT_QUERY_TIMEOUT_MS, DEFAULT_SHARED_TRANSACTION_UNITS } from './store/database.ts';
import { cidrBlockList } from './notify/address-policy.ts';
import { V8_PRETENURING, type V8Pretenuring } from './lib/v8-pretenuring.ts';

/**
 * The only reader of process.env: command-line flags win over environment variables, which win over defaults.
 * Every option of `tradegate start` has an environment variable (README, "Options"); invalid values are refused
 * here with one line naming the option, whichever way they came.
 */
export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly adminToken: string | undefined;
  readonly logLevel: LogLevel;
  /** HTTPS listener (mutual TLS on APIv2 /secapi/*). */
  readonly tlsPort: number;
  readonly allowInsecureSecapi: boolean;
  /** Gateway processes sharing the port (`--workers`, needs a PostgreSQL server). */
  readonly workers: number;
  /** Started by an npm script (`npm start`): exit when that parent goes away, so no gateway is left orphaned. */
  readonly exitWithParent: boolean;
  /** Timeouts and connection cap of the listeners (listener-limits.ts). */
  readonly limits: ListenerLimits;
  /** notify_url address policy: CIDRs allowed despite the default denies, and CIDRs always denied. */
  readonly notifyAllow: readonly string[];
  readonly notifyDeny: readonly string[];
  /** Request log bounds: rows kept and days kept. */
  readonly requestLog: { readonly maxRows: number; readonly maxAgeMs: number };
  /** PostgreSQL server: bounds on getting a connection and on each statement's answer; how long startup waits. */
  readonly database: DatabaseBounds;
  /** Linux scheduling policy of the gateway's threads: `batch` (SCHED_BATCH, lib/cpu-scheduling.ts) or the system's. */
  readonly cpuScheduling: CpuScheduling;
  /** V8's allocation-site pretenuring in the gateway's process (lib/v8-pretenuring.ts): `off` unless `on` is asked for. */
  readonly v8Pretenuring: V8Pretenuring;
}

export const CPU_SCHEDULING = ['default', 'batch'] as const;
export type CpuScheduling = (typeof CPU_SCHEDULING)[number];

export interface DatabaseBounds {
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  /** Infinity: wait without limit; 0: exit at once when the database is unreachable at startup. */
  readonly waitForDatabaseMs: number;
  /** Prepare transactions' statements once per connection; off behind PgBouncer < 1.21 in transaction pooling. */
  readonly preparedStatements: boolean;
  /** Connections this process keeps to the server at most (its pool). */
  readonly connections: number;
  /** Order operations in one database transaction at most (shared transactions); 1: each alone. */
  readonly sharedTransactions: number;
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
  workers?: string | number;
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
  databasePreparedStatements?: string;
  databaseConnections?: string | number;
  databaseSharedTransactions?: string | number;
  cpuScheduling?: string;
  v8Pretenuring?: string;
}

/** `--wait-for-database`: seconds (0 = do not wait) or `forever` (the default). */
function waitSeconds(source: { value: string | number | undefined; name: string }): number {
  const { value, name } = source;
  if (value === undefined || value === 'forever') return Number.POSITIVE_INFINITY;
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid ${name}: ${value} (seconds ≥ 0, or forever)`);
  return n * 1000;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An empty variable counts as unset (`FOO= cmd` is how a shell clears one for a command). */
function envOf(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The flag's value if given, else the variable's: with the name to quote when the value is refused. */
function sourced<T>(flag: T | undefined, flagName: string, env: NodeJS.ProcessEnv, envName: string): { value: T | string | undefined; name: string } {
  return flag !== undefined ? { value: flag, name: flagName } : { value: envOf(env, envName), name: envName };
}

/** A comma-separated CIDR list (flag or env var); empty entries ignored; a malformed entry is refused here. */
function cidrList(source: { value: string | undefined; name: string }): string[] {
  const list = (source.value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  cidrBlockList(list, source.name);
  return list;
}

function wholeNumber(source: { value: string | number | undefined; name: string }, fallback: number, least = 1): number {
  const { value, name } = source;
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < least) throw new Error(`invalid ${name}: ${value} (a whole number ≥ ${least})`);
  return n;
}

function onOff(source: { value: string | number | undefined; name: string }, fallback: boolean): boolean {
  const { value, name } = source;
  if (value === undefined) return fallback;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new Error(`invalid ${name}: ${value} (on or off)`);
}

function portOf(value: string | number, name: string): number {
  const port = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid ${name}: ${value} (a port number from 0 to 65535)`);
  return port;
}

function flagOf(value: string, name: string): boolean {
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw new Error(`invalid ${name}: ${value} (true or false)`);
}

/** `value` if it is one of `choices`; else refused, naming the option and the choices. */
function choiceOf<T extends string>(choices: readonly T[], value: string, name: string): T {
  const found = choices.find((c) => c === value);
  if (found === undefined) {
    const allowed = choices.length === 2 ? choices.join(' or ') : `one of ${choices.join(', ')}`;
    throw new Error(`invalid ${name}: ${value} (${allowed})`);
  }
  return found;
}

function logLevelOf(value: string, name = '--log-level'): LogLevel {
  return choiceOf(LOG_LEVELS, value, name);
}

function positive(source: { value: string | number | undefined; name: string }, fallback: number): number {
  const { value, name } = source;
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid ${name}: ${value} (a number > 0)`);
  return n;
}

export function loadConfig(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const workers = String(flags.workers ?? envOf(env, 'TRADEGATE_WORKERS') ?? '1');
  if (!/^\d+$/.test(workers) || Number(workers) < 1 || Number(workers) > 64) {
    throw new Error(`invalid --workers: ${workers} (a whole number from 1 to 64)`);
  }
  const databaseUrl = flags.databaseUrl ?? envOf(env, 'DATABASE_URL');
  if (Number(workers) > 1 && !databaseUrl) {
    throw new Error('--workers needs --database-url (or DATABASE_URL): the embedded database serves one process');
  }
  const insecure = flags.allowInsecureSecapi ?? envOf(env, 'TRADEGATE_ALLOW_INSECURE_SECAPI');
  return {
    host: flags.host ?? envOf(env, 'TRADEGATE_HOST') ?? '127.0.0.1',
    port: portOf(flags.port ?? envOf(env, 'TRADEGATE_PORT') ?? 8080, flags.port !== undefined ? '--port' : 'TRADEGATE_PORT'),
    dataDir: flags.dataDir ?? envOf(env, 'TRADEGATE_DATA_DIR') ?? './.tradegate',
    databaseUrl,
    adminToken: flags.adminToken ?? envOf(env, 'TRADEGATE_ADMIN_TOKEN'),
    logLevel: flags.logLevel !== undefined ? logLevelOf(flags.logLevel) : logLevelOf(envOf(env, 'TRADEGATE_LOG_LEVEL') ?? 'info', 'TRADEGATE_LOG_LEVEL'),
    tlsPort: portOf(flags.tlsPort ?? envOf(env, 'TRADEGATE_TLS_PORT') ?? 8443, flags.tlsPort !== undefined ? '--tls-port' : 'TRADEGATE_TLS_PORT'),
    allowInsecureSecapi: typeof insecure === 'string' ? flagOf(insecure, 'TRADEGATE_ALLOW_INSECURE_SECAPI') : (insecure ?? false),
    workers: Number(workers),
    exitWithParent: envOf(env, 'npm_lifecycle_event') !== undefined,
    limits: listenerLimits(flags, env),
    notifyAllow: cidrList(sourced(flags.notifyAllow, '--notify-allow', env, 'TRADEGATE_NOTIFY_ALLOW')),
    notifyDeny: cidrList(sourced(flags.notifyDeny, '--notify-deny', env, 'TRADEGATE_NOTIFY_DENY')),
    requestLog: {
      maxRows: wholeNumber(sourced(flags.requestLogRows, '--request-log-rows', env, 'TRADEGATE_REQUEST_LOG_ROWS'), 100_000, 0),
      maxAgeMs: positive(sourced(flags.requestLogDays, '--request-log-days', env, 'TRADEGATE_REQUEST_LOG_DAYS'), 7) * 86_400_000,
    },
    database: {
      connectTimeoutMs: wholeNumber(
        sourced(flags.databaseConnectTimeoutMs, '--database-connect-timeout-ms', env, 'TRADEGATE_DATABASE_CONNECT_TIMEOUT_MS'),
        DEFAULT_CONNECT_TIMEOUT_MS,
      ),
      queryTimeoutMs: wholeNumber(
        sourced(flags.databaseQueryTimeoutMs, '--database-query-timeout-ms', env, 'TRADEGATE_DATABASE_QUERY_TIMEOUT_MS'),
        DEFAULT_QUERY_TIMEOUT_MS,
      ),
      waitForDatabaseMs: waitSeconds(sourced(flags.waitForDatabase, '--wait-for-database', env, 'TRADEGATE_WAIT_FOR_DATABASE')),
      preparedStatements: onOff(
        sourced(flags.databasePreparedStatements, '--database-prepared-statements', env, 'TRADEGATE_DATABASE_PREPARED_STATEMENTS'),
        true,
      ),
      connections: wholeNumber(
        sourced(flags.databaseConnections, '--database-connections', env, 'TRADEGATE_DATABASE_CONNECTIONS'),
        DEFAULT_DATABASE_CONNECTIONS,
      ),
      sharedTransactions: wholeNumber(
        sourced(flags.databaseSharedTransactions, '--database-shared-transactions', env, 'TRADEGATE_DATABASE_SHARED_TRANSACTIONS'),
        DEFAULT_SHARED_TRANSACTION_UNITS,
      ),
    },
    cpuScheduling: chosen(CPU_SCHEDULING, sourced(flags.cpuScheduling, '--cpu-scheduling', env, 'TRADEGATE_CPU_SCHEDULING'), 'default'),
    v8Pretenuring: chosen(V8_PRETENURING, sourced(flags.v8Pretenuring, '--v8-pretenuring', env, 'TRADEGATE_V8_PRETENURING'), 'off'),
  };
}

/** A flag's or variable's choice among `choices`, `fallback` when neither is given (as `positive` for numbers). */
function chosen<T extends string>(choices: readonly T[], source: { value: string | undefined; name: string }, fallback: T): T {
  return source.value === undefined ? fallback : choiceOf(choices, source.value, source.name);
}

/** Listener timeouts and connection cap; Node refuses a head timeout longer than the request timeout. */
function listenerLimits(flags: StartFlags, env: NodeJS.ProcessEnv): ListenerLimits {
  const requestTimeout = sourced(flags.requestTimeoutMs, '--request-timeout-ms', env, 'TRADEGATE_REQUEST_TIMEOUT_MS');
  const headersTimeout = sourced(flags.headersTimeoutMs, '--headers-timeout-ms', env, 'TRADEGATE_HEADERS_TIMEOUT_MS');
  const limits: ListenerLimits = {
    requestTimeoutMs: wholeNumber(requestTimeout, DEFAULT_LISTENER_LIMITS.requestTimeoutMs),
    headersTimeoutMs: wholeNumber(headersTimeout, DEFAULT_LISTENER_LIMITS.headersTimeoutMs),
    keepAliveTimeoutMs: wholeNumber(
      sourced(flags.keepAliveTimeoutMs, '--keep-alive-timeout-ms', env, 'TRADEGATE_KEEP_ALIVE_TIMEOUT_MS'),
      DEFAULT_LISTENER_LIMITS.keepAliveTimeoutMs,
    ),
    maxConnections: wholeNumber(sourced(flags.maxConnections, '--max-connections', env, 'TRADEGATE_MAX_CONNECTIONS'), DEFAULT_LISTENER_LIMITS.maxConnections),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(`invalid ${headersTimeout.name}: ${limits.headersTimeoutMs} (must not exceed the request timeout, ${limits.requestTimeoutMs})`);
  }
  return limits;
}

/** The commands that talk to a running gateway (`merchant create`, `pay`, `clock advance`). */
export interface ClientConfig {
  readonly url: string;
  /** From `--admin-token` or TRADEGATE_ADMIN_TOKEN; else the caller reads `<dataDir>/admin-token`. */
  readonly adminToken: string | undefined;
  readonly dataDir: string;
}

export interface ClientFlags {
  url?: string;
  adminToken?: string;
  dataDir?: string;
}

export function loadClientConfig(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const url = flags.url ?? envOf(env, 'TRADEGATE_URL') ?? 'http://127.0.0.1:8080/';
  if (!URL.canParse(url)) throw new Error(`invalid --url: ${url}`);
  return {
    url,
    adminToken: flags.adminToken ?? envOf(env, 'TRADEGATE_ADMIN_TOKEN'),
    dataDir: flags.dataDir ?? envOf(env, 'TRADEGATE_DATA_DIR') ?? './.tradegate',
  };
}

/** Set by the primary of `--workers` for its worker processes (not a user option). */
export function clusterWorkerEnv(env: NodeJS.ProcessEnv = process.env): { worker: boolean; adminToken: string | undefined } {
  return { worker: env.TRADEGATE_CLUSTER_WORKER === '1', adminToken: envOf(env, 'TRADEGATE_CLUSTER_ADMIN_TOKEN') };
}
