/**
 * `--workers N` (PostgreSQL only): a busy port ends the start at once with exit 1 and writes nothing; the
 * primary uses the data directory's admin token; a worker that dies is replaced after a back-off, and the
 * primary exits 1 when workers keep dying.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { postgresOnly } from './helpers/database.ts';
import { freePort, schemaUrl } from './helpers/gateway-process.ts';

const ROOT = join(import.meta.dirname, '..');
const database = postgresOnly();
const work = mkdtempSync(join(tmpdir(), 'tradegate-cluster-'));
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await database?.cleanup();
});
const ENV = { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '', TRADEGATE_PORT: '', TRADEGATE_TLS_PORT: '', TRADEGATE_DATA_DIR: '' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workersOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

async function url(): Promise<string> {
  const { databaseUrl, schema } = await database!.storeOptions();
  return schemaUrl(databaseUrl!, schema!);
}

test('--workers: a busy port exits 1 at once, before anything is written', { skip: !database && 'needs TEST_DATABASE_URL', timeout: 120_000 }, async () => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  const dataDir = join(work, 'busy');
  try {
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      ['bin/tradegate.mjs', 'start', '--workers', '2', '--port', String(port), '--tls-port', '0', '--database-url', await url(), '--data-dir', dataDir],
      { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`HTTP port ${port} on 127.0.0.1 is already in use`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(Date.now() - started < 30_000, 'at once');
    assert.equal(existsSync(dataDir), false, 'nothing written');
  } finally {
    blocker.close();
  }
});

test("--workers: the data directory's token; dead workers replaced, then the primary gives up", {
  skip: !database && 'needs TEST_DATABASE_URL',
  timeout: 240_000,
}, async () => {
  const dataDir = join(work, 'token');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'admin-token'), 'token-from-the-data-dir\n');
  const port = await freePort();
  const primary = spawn(
    process.execPath,
    [
      'bin/tradegate.mjs',
      'start',
      '--workers',
      '2',
      '--port',
      String(port),
      '--tls-port',
      '0',
      '--database-url',
      await url(),
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  primary.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => primary.once('exit', (code) => r(code)));
  try {
    for (let i = 0; !err.includes('admin token') && i < 900; i++) await sleep(100);
    assert.match(err, /admin token: token-from-the-data-dir /);
    const res = await fetch(`http://127.0.0.1:${port}/sandbox/merchants/999999999`, { headers: { authorization: 'Bearer token-from-the-data-dir' } });
    assert.equal(res.status, 404, 'the token is accepted');

    // One worker killed: replaced after a back-off, the port keeps serving.
    const [victim] = workersOf(primary.pid!);
    process.kill(victim!, 'SIGKILL');
    for (let i = 0; !err.includes(`worker ${victim} exited`) && i < 100; i++) await sleep(100);
    assert.match(err, new RegExp(`worker ${victim} exited \\(SIGKILL\\); a new one in 250 ms`));
    for (let i = 0; workersOf(primary.pid!).length < 2 && i < 300; i++) await sleep(100);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    // Workers that keep dying: the primary exits 1 instead of forking forever.
    let code: number | null | undefined;
    void exited.then((c) => {
      code = c;
    });
    for (let i = 0; code === undefined && i < 600; i++) {
      for (const pid of workersOf(primary.pid!)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await sleep(100);
    }
    assert.equal(await exited, 1);
    assert.match(err, /workers keep dying \(6 in 60 s/);
  } finally {
    if (primary.exitCode === null) primary.kill('SIGKILL');
  }
});
