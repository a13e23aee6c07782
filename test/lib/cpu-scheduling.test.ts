/**
 * `--cpu-scheduling batch` puts every thread of the gateway under SCHED_BATCH — the event loop, V8's helpers and
 * libuv's pool, which starts as the gateway does its first file and crypto work — as /proc shows them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dataDir = mkdtempSync(join(tmpdir(), 'tradegate-sched-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Linux's policy numbers (sched.h) by `chrt`'s names. */
const POLICIES: Readonly<Record<number, string>> = { 0: 'SCHED_OTHER', 1: 'SCHED_FIFO', 2: 'SCHED_RR', 3: 'SCHED_BATCH', 5: 'SCHED_IDLE' };

/** The policy of each thread of process `pid`: field 41 of each task's `stat` (proc(5)). */
function threadPolicies(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Field 2, the command name, is in parentheses and may hold spaces: count the fields after its closing one.
    const policy = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
    return POLICIES[policy] ?? `policy ${policy}`;
  });
}

test('--cpu-scheduling batch: every thread of the gateway is SCHED_BATCH, and the tests themselves are not', {
  skip: process.platform !== 'linux' && 'Linux only',
}, async () => {
  assert.deepEqual([...new Set(threadPolicies(process.pid))], ['SCHED_OTHER']);
  const child = spawn(
    process.execPath,
    ['bin/tradegate.mjs', 'start', '--port', '0', '--tls-port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--cpu-scheduling', 'batch'],
    { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Taken at once: a gateway that exits early fails the test with its reason instead of leaving it waiting.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr?.on('data', (d) => {
        err += d;
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m && err.includes('admin token')) resolve(m[1] ?? '');
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const policies = threadPolicies(child.pid ?? 0);
    assert.ok(policies.length >= 5, `threads: ${policies.length}`);
    assert.deepEqual([...new Set(policies)], ['SCHED_BATCH']);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
