/**
 * `tradegate start`'s two process settings, observed in the started process rather than in the functions that
 * apply them: `--cpu-scheduling batch` in every thread's policy (/proc), `--v8-pretenuring` in V8's flags. V8 has
 * no call that reads a flag back, but `v8.cachedDataVersionTag()` is a hash over its flags: a preload prints it as
 * the gateway exits, and it must equal the tag of a bare `node` with the flag the setting asks for.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const PRELOAD = join(import.meta.dirname, '../helpers/v8-tag-at-exit.mjs');
const env = { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '', TRADEGATE_CPU_SCHEDULING: '', TRADEGATE_V8_PRETENURING: '' };
const dataDir = mkdtempSync(join(tmpdir(), 'tradegate-tuning-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** The flag hash of a bare `node` with `flags`, in the same environment as the gateway. */
function bareTag(flags: string[]): string {
  const r = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write(String(require("node:v8").cachedDataVersionTag()))'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Linux's scheduling policy in a `stat` file of /proc (field 41): 0 other, 3 batch. */
function policyIn(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses) start at field 3.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

/** The policy of each thread of `pid`. */
const threadPolicies = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map((tid) => policyIn(`/proc/${pid}/task/${tid}/stat`));

/** Starts the gateway with `args`, runs `whileUp` on its pid once it listens, stops it; resolves with its exit tag. */
async function startAndStop(args: string[], whileUp: (pid: number) => void): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', PRELOAD, 'bin/tradegate.mjs', 'start', '--port', '0', '--tls-port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 120 s: ${err}`)), 120_000);
    const onData = () => {
      if (!err.includes('admin token')) return;
      clearTimeout(timer);
      child.stderr.off('data', onData);
      resolve();
    };
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before listening: ${err}`));
    });
  });
  try {
    whileUp(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const tag = /v8 flags tag (\d+)/.exec(err)?.[1];
  assert.ok(tag, `no tag printed at exit: ${err}`);
  return tag;
}

const linux = process.platform === 'linux';

test('--v8-pretenuring off (the default) turns the flag off in the gateway; on leaves V8 as it is', { timeout: 300_000 }, async () => {
  const plain = bareTag([]);
  const off = bareTag(['--no-allocation-site-pretenuring']);
  assert.notEqual(plain, off, 'the tag tells the two settings apart');
  assert.equal(await startAndStop([], () => {}), off, 'default');
  assert.equal(await startAndStop(['--v8-pretenuring', 'on'], () => {}), plain, 'on');
});

test('--cpu-scheduling batch puts every thread under SCHED_BATCH; by default they keep the policy they inherit', {
  skip: !linux && 'Linux only',
  timeout: 300_000,
}, async () => {
  await startAndStop(['--cpu-scheduling', 'batch'], (pid) => {
    const policies = threadPolicies(pid);
    assert.ok(policies.length > 1, 'the gateway runs several threads');
    assert.deepEqual(new Set(policies), new Set([3]));
  });
  // By default the gateway's threads keep what its process inherited: this test process's policy (0 when nothing set one).
  const inherited = policyIn('/proc/self/stat');
  await startAndStop([], (pid) => assert.deepEqual(new Set(threadPolicies(pid)), new Set([inherited])));
});
