/**
 * `tradegate-pos pay|cancel|recover`: the client by hand. Prints one JSON outcome per sequence on stdout; with
 * `--verbose` every journalled step on stderr. Exit code 0 = every outcome final, 3 = some `unknown` (see the
 * journal), 2 = usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TradegateClient } from './client.ts';
import { sandboxClock } from './sandbox-clock.ts';
import { DIALECTS, systemClock, type Dialect, type MerchantCredentials, type Outcome } from './types.ts';

const USAGE = `usage:
  tradegate-pos pay <out_trade_no> <auth_code> <amount-minor-units> [--currency CNY]
  tradegate-pos cancel <out_trade_no> [--created-at <ISO time>]
  tradegate-pos recover
options: --credentials <file.json> (required) --dialect ${DIALECTS.join('|')} (default wechatpay-v3)
         --journal <file> (default ./tradegate-pos.journal) --deadline <seconds> --timeout-ms <ms> --verbose
         --sandbox-clock (follow the tradegate merchant's business clock; needs --admin-token or TRADEGATE_ADMIN_TOKEN)`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      credentials: { type: 'string' },
      dialect: { type: 'string', default: 'wechatpay-v3' },
      journal: { type: 'string', default: 'tradegate-pos.journal' },
      currency: { type: 'string' },
      'created-at': { type: 'string' },
      deadline: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'sandbox-clock': { type: 'boolean', default: false },
      'admin-token': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const [command, ...args] = positionals;
  const dialect = values.dialect as Dialect;
  if (!values.credentials || !DIALECTS.includes(dialect) || !['pay', 'cancel', 'recover'].includes(command ?? '')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const credentials = JSON.parse(readFileSync(values.credentials, 'utf8')) as MerchantCredentials;
  const adminToken = values['admin-token'] ?? process.env.TRADEGATE_ADMIN_TOKEN;
  const useSandboxClock = values['sandbox-clock'];
  if (useSandboxClock && !adminToken) {
    process.stderr.write('--sandbox-clock needs --admin-token or TRADEGATE_ADMIN_TOKEN\n');
    return 2;
  }
  const clock = useSandboxClock && adminToken ? await sandboxClock({ baseUrl: credentials.baseUrl, adminToken, mchid: credentials.mchid }) : systemClock;
  const client = new TradegateClient({
    credentials,
    journalPath: values.journal,
    clock,
    ...(values['timeout-ms'] ? { requestTimeoutMs: Number(values['timeout-ms']) } : {}),
    onEvent: values.verbose ? (e) => process.stderr.write(`${JSON.stringify(e)}\n`) : undefined,
  });
  const deadlineMs = values.deadline ? Number(values.deadline) * 1000 : undefined;
  let outcomes: Outcome[];
  try {
    if (command === 'pay') {
      const [no, code, amount] = args;
      if (!no || !code || !amount || !/^\d+$/.test(amount)) throw new UsageError();
      outcomes = [await client.payByCode({ dialect, out_trade_no: no, auth_code: code, amount: Number(amount), currency: values.currency, deadlineMs })];
    } else if (command === 'cancel') {
      const [no] = args;
      if (!no) throw new UsageError();
      const created = values['created-at'] ? Date.parse(values['created-at']) : undefined;
      outcomes = [await client.cancelOrder({ dialect, out_trade_no: no, ...(created !== undefined ? { created_at: created } : {}), deadlineMs })];
    } else {
      outcomes = await client.recover({ deadlineMs });
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    throw e;
  } finally {
    client.close();
  }
  for (const o of outcomes) process.stdout.write(`${JSON.stringify(o)}\n`);
  return outcomes.some((o) => o.status === 'unknown') ? 3 : 0;
}

class UsageError extends Error {}

// Run as a program, not imported: the file node started is this module (either path separator).
const started = process.argv[1]?.split(/[\\/]/).pop();
if (started && import.meta.url.endsWith(started)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
