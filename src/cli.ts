/** The `tradegate` command: start the gateway, provision merchants, act as payer, move a merchant's clock, define faults. */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type StartFlags } from './config.ts';
import { isClusterWorker, runClusterPrimary, runClusterWorker } from './cluster.ts';
import { startGateway } from './gateway.ts';
import { databaseStoreOptions, installProcessGuards } from './process-guards.ts';

const program = new Command('tradegate').description('Self-hosted WeChat Pay / PayCloud gateway and sandbox').showHelpAfterError();

function fail(message: string): never {
  process.stderr.write(`tradegate: ${message}\n`);
  process.exit(1);
}

program.command('start')
  .description('start the gateway (embedded PGlite in --data-dir unless --database-url is given)')
  .option('--host <host>', 'address to bind', undefined)
  .option('--port <port>', 'HTTP port', undefined)
  .option('--data-dir <dir>', 'data directory (embedded database, admin token, merchant credentials)')
  .option('--database-url <url>', 'PostgreSQL server, e.g. postgres://user@host/db (or DATABASE_URL)')
  .option('--admin-token <token>', 'sandbox admin token (or TRADEGATE_ADMIN_TOKEN; else generated)')
  .option('--log-level <level>', 'pino log level')
  .option('--tls-port <port>', 'HTTPS port (mutual TLS for APIv2 /secapi/*; default 8443)')
  .option('--allow-insecure-secapi', 'also serve APIv2 /secapi/* over plain HTTP, without a client certificate')
  .option('--request-timeout-ms <ms>', 'a request (head and body) must arrive within this (default 30000; TRADEGATE_REQUEST_TIMEOUT_MS)')
  .option('--headers-timeout-ms <ms>', 'a request head must arrive within this (default 10000; TRADEGATE_HEADERS_TIMEOUT_MS)')
  .option('--keep-alive-timeout-ms <ms>', 'idle keep-alive connections close after this (default 5000; TRADEGATE_KEEP_ALIVE_TIMEOUT_MS)')
  .option('--max-connections <n>', 'connections per listener beyond this are refused (default 2048; TRADEGATE_MAX_CONNECTIONS)')
  .option('--notify-allow <cidrs>', 'comma-separated CIDRs notify_url may reach despite the default denies (TRADEGATE_NOTIFY_ALLOW)')
  .option('--notify-deny <cidrs>', 'comma-separated CIDRs notify_url may never reach; wins over everything (TRADEGATE_NOTIFY_DENY)')
  .option('--request-log-rows <n>', 'request log: rows kept (or TRADEGATE_REQUEST_LOG_ROWS; default 100000)')
  .option('--request-log-days <n>', 'request log: days kept (or TRADEGATE_REQUEST_LOG_DAYS; default 7)')
  .option('--database-connect-timeout-ms <ms>', 'PostgreSQL: bound on getting a connection (default 5000; TRADEGATE_DATABASE_CONNECT_TIMEOUT_MS)')
  .option('--database-query-timeout-ms <ms>', 'PostgreSQL: bound on each statement\'s answer (default 5000; TRADEGATE_DATABASE_QUERY_TIMEOUT_MS)')
  .option('--wait-for-database <seconds>', 'PostgreSQL unreachable at startup: retry this long, 0 = exit at once (default forever; TRADEGATE_WAIT_FOR_DATABASE)')
  .option('--workers <n>', 'gateway processes sharing the port (needs --database-url)', '1')
  .action(async (flags: StartFlags & { workers: string }) => {
    const config = loadConfig(flags);
    const workers = Number(flags.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail('--workers must be a whole number from 1 to 64');
    installProcessGuards();
    if (isClusterWorker()) return void (await runClusterWorker(config));
    if (workers > 1) {
      return runClusterPrimary(config, workers, (lines) => process.stdout.write(`${lines.join('\n')}\n`));
    }
    const gateway = await startGateway({
      host: config.host,
      port: config.port,
      store: databaseStoreOptions(config, config.dataDir),
      dataDir: config.dataDir,
      adminToken: config.adminToken,
      logLevel: config.logLevel,
      provisionDemo: true,
      tlsPort: config.tlsPort,
      allowInsecureSecapi: config.allowInsecureSecapi,
      limits: config.limits,
      notifyPolicy: { allow: config.notifyAllow, deny: config.notifyDeny },
      requestLog: config.requestLog,
    });
    const lines = [`tradegate listening on ${gateway.baseUrl}`, `  database:    ${config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}`}`];
    lines.push(`  https:       ${gateway.httpsBaseUrl}  (APIv2 /secapi/* with the merchant's client certificate)`);
    if (config.allowInsecureSecapi) {
      process.stderr.write('tradegate: warning: --allow-insecure-secapi serves /secapi/* over plain HTTP without a client certificate; the real gateway never does\n');
    }
    lines.push(`  admin token: ${gateway.adminToken}  (sandbox API: Authorization: Bearer <token>)`);
    if (gateway.demo) {
      lines.push(`  demo merchant mchid=${gateway.demo.merchant.mchid} appid=${gateway.demo.merchant.appid}`);
      if (gateway.demo.credentialsPath) lines.push(`  credentials: ${gateway.demo.credentialsPath}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const stop = () => void gateway.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

interface ClientFlags { url: string; adminToken?: string }

async function admin(flags: ClientFlags, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = flags.adminToken ?? process.env.TRADEGATE_ADMIN_TOKEN;
  if (!token) fail('an admin token is needed: --admin-token or TRADEGATE_ADMIN_TOKEN');
  const res = await fetch(new URL(path, flags.url), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((err: Error) => fail(`cannot reach ${flags.url}: ${err.message}`));
  const text = await res.text();
  if (!res.ok) fail(`${res.status} ${text}`);
  return text === '' ? { status: res.status } : JSON.parse(text);
}

const withClient = (cmd: Command) => cmd
  .option('--url <url>', 'gateway base URL', process.env.TRADEGATE_URL ?? 'http://127.0.0.1:8080/')
  .option('--admin-token <token>', 'sandbox admin token (or TRADEGATE_ADMIN_TOKEN)');

const print = (value: unknown): void => { process.stdout.write(`${JSON.stringify(value, null, 2)}\n`); };

const merchant = program.command('merchant').description('sandbox merchants');
withClient(merchant.command('create').description('provision a merchant and print its credentials JSON'))
  .option('--mode <mode>', 'direct | service_provider | sub_merchant')
  .option('--sp-mchid <mchid>', 'provider of a sub_merchant')
  .option('--region <region>', 'mainland | global')
  .action(async (flags: ClientFlags & { mode?: string; spMchid?: string; region?: string }) =>
    print(await admin(flags, 'POST', '/sandbox/merchants', { mode: flags.mode, sp_mchid: flags.spMchid, region: flags.region })));

withClient(program.command('pay <mchid> <out_trade_no>').description('the payer pays an unpaid order'))
  .option('--confirm', 'confirm a password prompt instead')
  .option('--abandon', 'abandon a password prompt instead')
  .action(async (mchid: string, no: string, flags: ClientFlags & { confirm?: boolean; abandon?: boolean }) => {
    const action = flags.confirm ? 'confirm' : flags.abandon ? 'abandon' : 'pay';
    print(await admin(flags, 'POST', `/sandbox/merchants/${encodeURIComponent(mchid)}/orders/${encodeURIComponent(no)}/${action}`));
  });

const clock = program.command('clock').description("a merchant's sandbox clock");
withClient(clock.command('advance <mchid> <seconds>').description("move a merchant's business clock forward"))
  .action(async (mchid: string, seconds: string, flags: ClientFlags) => {
    const n = Number(seconds);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('seconds must be a number ≥ 0');
    print(await admin(flags, 'POST', `/sandbox/merchants/${encodeURIComponent(mchid)}/clock`, { advance_seconds: n }));
  });

const fault = program.command('fault').description("a merchant's fault plan (the fault lab)");
const whole = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return Number(v);
};
withClient(fault.command('add <mchid>').description('define a fault: the next matching call misbehaves'))
  .requiredOption('--operation <op>', 'create | pay | query | close | reverse | void | refund | refund_query | notify | *')
  .requiredOption('--effect <effect>', 'system_error | timeout | drop | delay | duplicate')
  .option('--dialect <dialect>', 'wechatpay-v3 | wechatpay-global | wechatpay-v2 | paycloud (default: any)')
  .option('--out-trade-no <no>', 'only calls about this order number')
  .option('--commit <when>', 'before | after: whether the operation takes effect')
  .option('--delay-ms <ms>', 'hold for timeout / delay (0..120000)', whole('--delay-ms'))
  .option('--times <n>', 'how many matching calls it fires on (default 1)', whole('--times'))
  .action(async (mchid: string, f: ClientFlags & { operation: string; effect: string; dialect?: string; outTradeNo?: string; commit?: string; delayMs?: number; times?: number }) =>
    print(await admin(f, 'POST', `/sandbox/merchants/${encodeURIComponent(mchid)}/faults`, {
      operation: f.operation, effect: f.effect, dialect: f.dialect, out_trade_no: f.outTradeNo, commit: f.commit, delay_ms: f.delayMs, times: f.times,
    })));
withClient(fault.command('list <mchid>').description("list a merchant's faults and how often each has fired"))
  .action(async (mchid: string, f: ClientFlags) => print(await admin(f, 'GET', `/sandbox/merchants/${encodeURIComponent(mchid)}/faults`)));
withClient(fault.command('clear <mchid> [id]').description("delete one fault, or all of a merchant's faults"))
  .action(async (mchid: string, id: string | undefined, f: ClientFlags) => {
    const path = `/sandbox/merchants/${encodeURIComponent(mchid)}/faults${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
    print(await admin(f, 'DELETE', path));
  });

program.parseAsync(process.argv).catch((err: Error) => fail(err.message));
