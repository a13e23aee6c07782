/**
 * A first start as an operator sees it, through `npm start` on an empty data directory: /healthz answers while
 * /readyz still says 503, the banner (with the admin token) is on stderr and stdout is JSON logs only, the data
 * directory is locked (a second process exits 1 naming the holder), a busy port exits 1 at once without writing
 * anything, log lines and /metrics say what happened without an admin token, client commands take the token
 * from the data directory, a failed notification is logged at warn, and SIGTERM to npm leaves no gateway behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { merchantClient, refused, type Credentials } from '../helpers/gateway.ts';
import { freePort } from '../helpers/gateway-process.ts';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'tradegate-ops-'));
after(() => rmSync(work, { recursive: true, force: true, maxRetries: 5 }));
const ENV = { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '', TRADEGATE_PORT: '', TRADEGATE_TLS_PORT: '', TRADEGATE_DATA_DIR: '' };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const get = (url: string) =>
  fetch(url).then(
    async (r) => ({ status: r.status, text: await r.text() }),
    () => undefined,
  );

/** `node bin/tradegate.mjs …` to the end: exit code, stdout, stderr. */
function cli(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, ['bin/tradegate.mjs', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('npm start: ready in order, locked, observable, and gone with npm', { timeout: 300_000 }, async () => {
  const dataDir = join(work, 'data');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const npm = spawn('npm', ['start', '--', '--port', String(port), '--tls-port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
    cwd: ROOT,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  npm.stdout.on('data', (d) => {
    out += d;
  });
  npm.stderr.on('data', (d) => {
    err += d;
  });
  const npmExited = new Promise((resolve) => npm.once('exit', resolve));
  let gatewayPid = 0;
  try {
    // Listeners first: alive before the database is open, not ready until the start is complete.
    const health = await until('/healthz', () => get(`${base}healthz`));
    assert.equal(health.status, 200);
    const early = await get(`${base}readyz`);
    if (!err.includes('admin token')) {
      assert.equal(early?.status, 503, 'not ready while starting');
      assert.match(early!.text, /starting/);
    }
    await until('the banner', () => (err.includes('admin token') ? true : undefined));
    assert.equal((await get(`${base}readyz`))?.status, 200);

    const token = /admin token: (\S+)/.exec(err)![1]!;
    const mchid = /mchid=(\d+)/.exec(err)![1]!;
    gatewayPid = Number(readFileSync(join(dataDir, 'tradegate.lock'), 'utf8'));
    assert.ok(alive(gatewayPid));

    // A second process on the same data directory: exit 1, naming the holder.
    const second = cli(['start', '--port', String(await freePort()), '--tls-port', '0', '--data-dir', dataDir]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`in use by process ${gatewayPid}\\b`));
    assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);

    // A busy port: exit 1 at once, before its data directory exists.
    const otherDir = join(work, 'other');
    const started = Date.now();
    const busy = cli(['start', '--port', String(port), '--tls-port', '0', '--data-dir', otherDir]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`HTTP port ${port} on 127.0.0.1 is already in use`));
    assert.ok(Date.now() - started < 20_000, 'refused at once');
    assert.equal(existsSync(otherDir), false, 'nothing written');

    // A refused merchant call: one log line carrying mchid, dialect, operation and the error code.
    const credentials = JSON.parse(readFileSync(join(dataDir, 'merchants', `${mchid}.json`), 'utf8')) as Credentials;
    const wx = merchantClient(credentials);
    const missing = await refused(wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid }, out_trade_no: 'NOPE-1' }));
    assert.equal(missing.data.code, 'ORDER_NOT_EXIST');
    // A notification to a port nobody listens on; the payer pays through the CLI, which reads the data dir's token.
    await wx.v3.pay.transactions.native.post({
      appid: credentials.appid,
      mchid,
      description: 'ops',
      out_trade_no: 'OPS-1',
      notify_url: `http://127.0.0.1:${await freePort()}/notify`,
      amount: { total: 1 },
    });
    const paid = cli(['pay', mchid, 'OPS-1', '--url', base, '--data-dir', dataDir]);
    assert.equal(paid.code, 0, paid.stderr);

    const lines = await until(
      'the warn line of the failed delivery',
      () => {
        const parsed = out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        return parsed.some((l) => l.operation === 'notify') ? parsed : undefined;
      },
      30_000,
    );
    const refusal = lines.find((l) => l.code === 'ORDER_NOT_EXIST');
    assert.ok(refusal, out);
    assert.equal(refusal.mchid, mchid);
    assert.equal(refusal.dialect, 'wechatpay-v3');
    assert.equal(refusal.operation, '/v3/pay/transactions/out-trade-no/:no');
    assert.equal(refusal.outcome, 'refused');
    const delivery = lines.find((l) => l.operation === 'notify')!;
    assert.equal(delivery.level, 40, 'warn');
    assert.equal(delivery.mchid, mchid);
    assert.equal(delivery.code, 'unreachable');
    // stdout is JSON logs only, and never the admin token.
    for (const line of out.split('\n').filter((l) => l.trim() && !l.startsWith('>'))) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.equal(out.includes(token), false, 'the admin token is not in the logs');

    // /metrics: no token needed, no merchant data shown.
    const metrics = await get(`${base}metrics`);
    assert.equal(metrics?.status, 200);
    assert.match(
      metrics!.text,
      /tradegate_requests_total\{dialect="wechatpay-v3",operation="\/v3\/pay\/transactions\/out-trade-no\/:no",outcome="refused",code="ORDER_NOT_EXIST"\} 1/,
    );
    assert.match(metrics!.text, /tradegate_request_duration_seconds_bucket\{le="[\d.]+",dialect="wechatpay-v3"/);
    assert.match(metrics!.text, /tradegate_notification_attempts_total\{dialect="wechatpay-v3",result="unreachable"\} [1-9]/);
    assert.match(metrics!.text, /tradegate_outbox_backlog 1\b/);
    assert.match(metrics!.text, /tradegate_outbox_oldest_due_age_seconds /);
    assert.equal(metrics!.text.includes(mchid), false, 'no mchid in metrics');
    assert.equal(metrics!.text.includes('OPS-1'), false, 'no order number in metrics');

    // SIGTERM to npm: the gateway goes too, and releases the data directory.
    npm.kill('SIGTERM');
    await npmExited;
    await until('the gateway to exit', () => (alive(gatewayPid) ? undefined : true), 20_000);
    assert.equal(existsSync(join(dataDir, 'tradegate.lock')), false);
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    if (gatewayPid && alive(gatewayPid)) process.kill(gatewayPid, 'SIGKILL');
  }

  // A lock left by a process that no longer runs is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dataDir, 'tradegate.lock'), `${dead.stdout}\n`);
  const again = spawn(process.execPath, ['bin/tradegate.mjs', 'start', '--port', '0', '--tls-port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: ROOT,
    env: ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let againErr = '';
  again.stderr.on('data', (d) => {
    againErr += d;
  });
  try {
    await until('the restart on a stale lock', () =>
      againErr.includes('admin token') ? true : again.exitCode !== null ? Promise.reject(new Error(againErr)) : undefined,
    );
    assert.equal(Number(readFileSync(join(dataDir, 'tradegate.lock'), 'utf8')), again.pid);
  } finally {
    again.kill('SIGTERM');
    await new Promise((r) => again.once('exit', r));
  }
});
