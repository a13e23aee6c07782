/** The `tradegate` command: start the gateway, provision merchants, act as payer, move a merchant's clock, define faults. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import { readAdminToken } from './admin-token.ts';
import { clusterWorkerEnv, CPU_SCHEDULING, loadClientConfig, loadConfig, LOG_LEVELS, type ClientFlags, type GatewayConfig, type StartFlags } from './config.ts';
import { installProcessGuards } from './process-guards.ts';
import { useBatchScheduling } from './lib/cpu-scheduling.ts';
import { applyV8Pretenuring, V8_PRETENURING } from './lib/v8-pretenuring.ts';
import { FAULT_COMMITS, FAULT_DIALECTS, FAULT_EFFECTS, FAULT_OPERATIONS } from './core/faults.ts';

// src/cli.ts and dist/cli.js both sit one folder below package.json.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

function fail(message: string): never {
  process.stderr.write(`tradegate: ${message}\n`);
  process.exit(1);
}

const program = new Command('tradegate')
  .description('Self-hosted WeChat Pay / PayCloud gateway and sandbox')
  .version(version, '-V, --version', 'print the version')
  // Mistakes answer one line (commander's own wording), not a page of help.
  .configureOutput({ outputError: (text, write) => write(`tradegate: ${text.replace(/^error: /, '')}`) });

/** Started by npm (`npm start`): npm does not pass SIGTERM on through `sh -c`, so notice the parent going away. */
function exitWithParent(stop: () => void): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500).unref();
}

async function startForeground(config: GatewayConfig): Promise<void> {
  // Loaded here, not at the top: `--help`, `--version` and the client commands need none of it.
  const { startGateway } = await import('./gateway.ts');
  const { gatewayOptionsOf } = await import('./start-options.ts');
  const gateway = await startGateway({
    ...gatewayOptionsOf(config, config.dataDir),
    dataDir: config.dataDir,
    adminToken: config.adminToken,
    provisionDemo: true,
  }).catch((err: Error) => fail(err.message));
  const lines = [
    `tradegate listening on ${gateway.baseUrl}`,
    `  database:    ${config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}`}`,
  ];
  lines.push(`  https:       ${gateway.httpsBaseUrl}  (APIv2 /secapi/* with the merchant's client certificate)`);
  if (config.allowInsecureSecapi) {
    process.stderr.write(
      'tradegate: warning: --allow-insecure-secapi serves /secapi/* over plain HTTP without a client certificate; the real gateway never does\n',
    );
  }
  lines.push(`  admin token: ${gateway.adminToken}  (sandbox API: Authorization: Bearer <token>)`);
  if (gateway.demo) {
    lines.push(`  demo merchant mchid=${gateway.demo.merchant.mchid} appid=${gateway.demo.merchant.appid}`);
    if (gateway.demo.credentialsPath) lines.push(`  credentials: ${gateway.demo.credentialsPath}`);
  }
  lines.push('  operations:  GET /healthz, /readyz, /metrics (no token)');
  // Before the banner: whoever waits for it may signal at once, and a signal must find the graceful close.
  const stop = () => void gateway.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (config.exitWithParent) exitWithParent(stop);
  // The banner holds the admin token: stderr, for the person who started it; stdout carries only the JSON logs.
  process.stderr.write(`${lines.join('\n')}\n`);
}

program
  .command('start')
  .description('start the gateway (embedded PGlite in --data-dir unless --database-url is given)')
  .option('--host <host>', 'address to bind (TRADEGATE_HOST; default 127.0.0.1)')
  .option('--port <port>', 'HTTP port (TRADEGATE_PORT; default 8080)')
  .option('--tls-port <port>', 'HTTPS port, mutual TLS for APIv2 /secapi/* (TRADEGATE_TLS_PORT; default 8443)')
  .option('--data-dir <dir>', 'data directory: embedded database, admin token, credentials (TRADEGATE_DATA_DIR; default ./.tradegate)')
  .option('--database-url <url>', 'PostgreSQL server, e.g. postgres://user@host/db (DATABASE_URL)')
  .option('--admin-token <token>', "sandbox admin token (TRADEGATE_ADMIN_TOKEN; default: the data directory's, made on first start)")
  .addOption(new Option('--log-level <level>', 'log level of the JSON logs on stdout (TRADEGATE_LOG_LEVEL; default info)').choices(LOG_LEVELS))
  .option('--allow-insecure-secapi', 'also serve APIv2 /secapi/* over plain HTTP, without a client certificate (TRADEGATE_ALLOW_INSECURE_SECAPI)')
  .option('--request-timeout-ms <ms>', 'a request (head and body) must arrive within this (TRADEGATE_REQUEST_TIMEOUT_MS; default 30000)')
  .option('--headers-timeout-ms <ms>', 'a request head must arrive within this (TRADEGATE_HEADERS_TIMEOUT_MS; default 10000)')
  .option('--keep-alive-timeout-ms <ms>', 'idle keep-alive connections close after this (TRADEGATE_KEEP_ALIVE_TIMEOUT_MS; default 5000)')
  .option('--max-connections <n>', 'connections per listener beyond this are refused (TRADEGATE_MAX_CONNECTIONS; default 2048)')
  .option('--notify-allow <cidrs>', 'comma-separated CIDRs notify_url may reach despite the default denies (TRADEGATE_NOTIFY_ALLOW)')
  .option('--notify-deny <cidrs>', 'comma-separated CIDRs notify_url may never reach; wins over everything (TRADEGATE_NOTIFY_DENY)')
  .option('--request-log-rows <n>', 'request log: rows kept (TRADEGATE_REQUEST_LOG_ROWS; default 100000; 0: off)')
  .option('--request-log-days <n>', 'request log: days kept (TRADEGATE_REQUEST_LOG_DAYS; default 7)')
  .option('--database-connect-timeout-ms <ms>', 'PostgreSQL: bound on getting a connection (TRADEGATE_DATABASE_CONNECT_TIMEOUT_MS; default 5000)')
  .option('--database-query-timeout-ms <ms>', "PostgreSQL: bound on each statement's answer (TRADEGATE_DATABASE_QUERY_TIMEOUT_MS; default 5000)")
  .option(
    '--database-prepared-statements <on|off>',
    'PostgreSQL: prepare statements once per connection; off behind PgBouncer < 1.21 in transaction pooling (TRADEGATE_DATABASE_PREPARED_STATEMENTS; default on)',
  )
  .option(
    '--database-connections <n>',
    "PostgreSQL: connections this process keeps at most; about twice the server's cores across all processes (TRADEGATE_DATABASE_CONNECTIONS; default 5)",
  )
  .option(
    '--database-shared-transactions <n>',
    'PostgreSQL: order operations that arrive together share one database transaction, this many at most; 1 = each alone (TRADEGATE_DATABASE_SHARED_TRANSACTIONS; default 16)',
  )
  .option(
    '--wait-for-database <seconds>',
    'PostgreSQL unreachable at startup: retry this long, 0 = exit at once (TRADEGATE_WAIT_FOR_DATABASE; default forever)',
  )
  .option('--workers <n>', 'gateway processes sharing the port; needs --database-url (TRADEGATE_WORKERS; default 1)')
  .addOption(
    new Option(
      '--cpu-scheduling <policy>',
      "Linux: batch = the gateway's threads under SCHED_BATCH, for a machine it shares with PostgreSQL (TRADEGATE_CPU_SCHEDULING; default: the system's)",
    ).choices(CPU_SCHEDULING),
  )
  .addOption(
    new Option(
      '--v8-pretenuring <setting>',
      "V8's allocation-site pretenuring in the gateway: off = request objects stay in the young generation, fewer full collections under load (TRADEGATE_V8_PRETENURING; default off)",
    ).choices(V8_PRETENURING),
  )
  .action(async (flags: StartFlags) => {
    let config: GatewayConfig;
    try {
      config = loadConfig(flags);
      applyV8Pretenuring(config.v8Pretenuring);
      if (config.cpuScheduling === 'batch') useBatchScheduling();
    } catch (err) {
      return fail((err as Error).message);
    }
    installProcessGuards();
    const worker = clusterWorkerEnv();
    const cluster = config.workers > 1 || worker.worker ? await import('./cluster.ts') : null;
    if (cluster?.isClusterWorker(worker.worker)) return void (await cluster.runClusterWorker(config, worker.adminToken));
    if (cluster && config.workers > 1) {
      const primary = await cluster
        .runClusterPrimary(config, { banner: (lines) => process.stderr.write(`${lines.join('\n')}\n`), fail })
        .catch((err: Error) => fail(err.message));
      process.once('SIGINT', primary.stop);
      process.once('SIGTERM', primary.stop);
      if (config.exitWithParent) exitWithParent(primary.stop);
      return;
    }
    await startForeground(config);
  });

/** `--admin-token`, TRADEGATE_ADMIN_TOKEN, or the local data directory's token file. */
async function admin(flags: ClientFlags, method: string, path: string, body?: unknown): Promise<unknown> {
  const config = loadClientConfig(flags);
  const token = config.adminToken ?? readAdminToken(config.dataDir);
  if (!token) fail(`an admin token is needed: --admin-token, TRADEGATE_ADMIN_TOKEN, or a data directory holding one (looked in ${config.dataDir})`);
  const res = await fetch(new URL(path, config.url), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((err: Error) => fail(`cannot reach ${config.url}: ${err.message}`));
  const text = await res.text();
  if (!res.ok) fail(`${res.status} ${text}`);
  return text === '' ? { status: res.status } : JSON.parse(text);
}

const withClient = (cmd: Command) =>
  cmd
    .option('--url <url>', 'gateway base URL (TRADEGATE_URL; default http://127.0.0.1:8080/)')
    .option('--admin-token <token>', 'sandbox admin token (TRADEGATE_ADMIN_TOKEN; default: read from --data-dir)')
    .option('--data-dir <dir>', "the local gateway's data directory, for its admin token (TRADEGATE_DATA_DIR; default ./.tradegate)");

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

const merchant = program.command('merchant').description('sandbox merchants');
withClient(merchant.command('create').description('provision a merchant and print its credentials JSON'))
  .addOption(new Option('--mode <mode>', 'kind of merchant').choices(['direct', 'service_provider', 'sub_merchant']))
  .option('--sp-mchid <mchid>', 'provider of a sub_merchant')
  .addOption(new Option('--region <region>', 'WeChat Pay region').choices(['mainland', 'global']))
  .action(async (flags: ClientFlags & { mode?: string; spMchid?: string; region?: string }) => {
    if (flags.mode === 'sub_merchant' && !flags.spMchid) fail('--mode sub_merchant needs --sp-mchid');
    if (flags.spMchid && flags.mode !== 'sub_merchant') fail('--sp-mchid goes with --mode sub_merchant');
    print(await admin(flags, 'POST', '/sandbox/merchants', { mode: flags.mode, sp_mchid: flags.spMchid, region: flags.region }));
  });

withClient(program.command('pay <mchid> <out_trade_no>').description('the payer pays an unpaid order'))
  .addOption(new Option('--confirm', 'confirm a password prompt instead').conflicts('abandon'))
  .addOption(new Option('--abandon', 'abandon a password prompt instead').conflicts('confirm'))
  .action(async (mchid: string, no: string, flags: ClientFlags & { confirm?: boolean; abandon?: boolean }) => {
    const action = flags.confirm ? 'confirm' : flags.abandon ? 'abandon' : 'pay';
    print(await admin(flags, 'POST', `/sandbox/merchants/${encodeURIComponent(mchid)}/orders/${encodeURIComponent(no)}/${action}`));
  });

const clock = program.command('clock').description("a merchant's sandbox clock");
withClient(clock.command('advance <mchid> <seconds>').description("move a merchant's business clock forward")).action(
  async (mchid: string, seconds: string, flags: ClientFlags) => {
    const n = /^\d+(\.\d+)?$/.test(seconds) ? Number(seconds) : NaN;
    if (!Number.isFinite(n)) fail(`seconds must be a number ≥ 0, not ${seconds} (the sandbox clock only moves forward)`);
    print(await admin(flags, 'POST', `/sandbox/merchants/${encodeURIComponent(mchid)}/clock`, { advance_seconds: n }));
  },
);

const fault = program.command('fault').description("a merchant's fault plan (the fault lab)");
const whole = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return Number(v);
};
withClient(fault.command('add <mchid>').description('define a fault: the next matching call misbehaves'))
  .addOption(new Option('--operation <op>', 'the operation it hits').choices(FAULT_OPERATIONS).makeOptionMandatory())
  .addOption(new Option('--effect <effect>', 'what goes wrong').choices(FAULT_EFFECTS).makeOptionMandatory())
  .addOption(new Option('--dialect <dialect>', 'only calls in this dialect (default: any)').choices(FAULT_DIALECTS))
  .option('--out-trade-no <no>', 'only calls about this order number')
  .addOption(new Option('--commit <when>', 'whether the operation takes effect').choices(FAULT_COMMITS))
  .option('--delay-ms <ms>', 'hold for timeout / delay (0..120000)', whole('--delay-ms'))
  .option('--times <n>', 'how many matching calls it fires on (default 1)', whole('--times'))
  .action(
    async (
      mchid: string,
      f: ClientFlags & { operation: string; effect: string; dialect?: string; outTradeNo?: string; commit?: string; delayMs?: number; times?: number },
    ) =>
      print(
        await admin(f, 'POST', `/sandbox/merchants/${encodeURIComponent(mchid)}/faults`, {
          operation: f.operation,
          effect: f.effect,
          dialect: f.dialect,
          out_trade_no: f.outTradeNo,
          commit: f.commit,
          delay_ms: f.delayMs,
          times: f.times,
        }),
      ),
  );
withClient(fault.command('list <mchid>').description("list a merchant's faults and how often each has fired")).action(async (mchid: string, f: ClientFlags) =>
  print(await admin(f, 'GET', `/sandbox/merchants/${encodeURIComponent(mchid)}/faults`)),
);
withClient(fault.command('clear <mchid> [id]').description("delete one fault, or all of a merchant's faults")).action(
  async (mchid: string, id: string | undefined, f: ClientFlags) => {
    const path = `/sandbox/merchants/${encodeURIComponent(mchid)}/faults${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
    print(await admin(f, 'DELETE', path));
  },
);

program.parseAsync(process.argv).catch((err: Error) => fail(err.message));
