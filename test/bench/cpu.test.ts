/**
 * The bench's meters (bench/cpu.ts) read what they claim from /proc: a process tree's CPU time (the gateway with
 * its cluster workers), the PostgreSQL backends of the bench's own databases and not those of other databases on a
 * shared server, and a process tree's peak resident memory since the last reset. Linux only, as the bench is.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { CpuMeter, peakRssMb, postgresPids, processCpuMs, processTree, resetPeakRss } from '../../bench/cpu.ts';
import { TEST_DATABASE_URL } from '../helpers/database.ts';

const linux = process.platform === 'linux' ? false : 'the bench reads /proc (Linux)';

/** A child running `code` with an IPC channel: messages it sends are awaited with `next`. */
function child(code: string, execArgv: string[] = []): { proc: ChildProcess; next: () => Promise<unknown> } {
  const proc = spawn(process.execPath, [...execArgv, '-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const queue: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  proc.on('message', (m) => (waiting.length ? waiting.shift()?.(m) : queue.push(m)));
  return { proc, next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))) };
}

/**
 * Busy until it has used `ms` of CPU time (not of wall time: the suite shares the machine), then says so on its
 * IPC channel or its stdout, and idles until killed.
 */
const BURN = (ms: number, say: string) =>
  `const t0 = process.cpuUsage(); for (;;) { const t = process.cpuUsage(t0); if (t.user + t.system >= ${ms * 1000}) break; } ${say}; setInterval(() => {}, 1000);`;

describe('bench meters', { skip: linux }, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  test("a process tree's CPU time: a grandchild's CPU counts for its grandparent", async () => {
    // A shell whose child burns 400 ms of CPU: the bench meters the gateway this way (cluster workers are its children).
    const burner = `${process.execPath} -e "${BURN(400, "console.log('burnt')")}"`;
    // `; true`: a shell may exec its last command in place of itself, and the tree would be one process.
    const shell = spawn('sh', ['-c', `${burner}; true`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(shell);
    assert.ok(shell.pid);
    const meter = new CpuMeter(() => processTree(shell.pid as number));
    await new Promise<void>((resolve) => shell.stdout.on('data', (d) => String(d).includes('burnt') && resolve()));
    const tree = processTree(shell.pid);
    assert.equal(tree[0], shell.pid);
    assert.equal(tree.length, 2, `the shell and its child: ${tree}`);
    const burnt = meter.stop();
    // The shell itself uses ~nothing; node's start-up adds tens of ms to the loop's 400.
    assert.ok(burnt >= 380 && burnt <= 1500, `CPU of the tree: ${burnt} ms`);
    for (const pid of [...tree].reverse()) process.kill(pid, 'SIGKILL');
  });

  test('an exited process reads 0, not an error', async () => {
    const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const pid = c.pid as number;
    await new Promise((resolve) => c.once('exit', resolve));
    assert.equal(processCpuMs(pid), 0);
  });

  test('one process: CPU time rises by what it burnt', async () => {
    const c = child(BURN(300, "process.send('burnt')"));
    children.push(c.proc);
    await c.next();
    const pid = c.proc.pid as number;
    const used = processCpuMs(pid);
    assert.ok(used >= 290 && used <= 1200, `${used} ms`);
  });

  test('CPU time to below a clock tick, where the kernel keeps run times per thread (schedstat)', {
    skip: existsSync('/proc/self/schedstat') ? false : 'no /proc/<pid>/schedstat on this kernel',
  }, async () => {
    // /proc/<pid>/stat counts whole 10 ms ticks: a PostgreSQL backend working 3 ms in a short row read 0 there.
    const c = child(BURN(3, "process.send('burnt')"));
    children.push(c.proc);
    await c.next();
    const used = processCpuMs(c.proc.pid as number);
    assert.ok(used > 0 && used % 10 !== 0, `not a whole number of ticks: ${used} ms`);
  });

  test("a thread's exit never subtracts its time from what the meter has counted", async () => {
    // A worker thread burns 300 ms, the meter starts, the worker exits, then the main thread burns 100 ms: the
    // meter reads the 100 (and what the worker did after it started), not 100 − 300.
    const c = child(
      `const { Worker } = require('node:worker_threads');
       const w = new Worker(${JSON.stringify(BURN(300, "require('node:worker_threads').parentPort.postMessage('burnt')"))}, { eval: true });
       w.once('message', () => process.send('worker burnt'));
       process.on('message', async () => { await w.terminate(); setTimeout(() => { ${BURN(100, "process.send('main burnt')")} }, 50); });`,
    );
    children.push(c.proc);
    await c.next();
    const meter = new CpuMeter(() => [c.proc.pid as number]);
    c.proc.send('go');
    await c.next();
    const counted = meter.stop();
    assert.ok(counted >= 90 && counted <= 600, `CPU counted: ${counted} ms`);
  });

  test("a process tree's peak resident memory, and its reset", async () => {
    const c = child(
      `let b = Buffer.alloc(256 * 2 ** 20, 1); process.send('big');
       process.on('message', () => { b = null; globalThis.gc(); setTimeout(() => process.send('small'), 100); });
       setInterval(() => {}, 1000);`,
      ['--expose-gc'],
    );
    children.push(c.proc);
    await c.next();
    const pid = c.proc.pid as number;
    assert.ok(peakRssMb(pid) >= 256, `peak while holding 256 MB: ${peakRssMb(pid)} MB`);
    c.proc.send('free');
    await c.next();
    assert.ok(peakRssMb(pid) >= 256, 'the peak outlives the memory');
    resetPeakRss(pid);
    assert.ok(peakRssMb(pid) < 200, `after the reset the peak is today's: ${peakRssMb(pid)} MB`);
  });
});

describe('PostgreSQL CPU is read for the bench databases only', { skip: linux || (TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set') }, () => {
  test("a backend of the named database counts, another database's does not, the server's own processes do", async () => {
    const url = TEST_DATABASE_URL as string;
    const name = `tradegate_test_meter_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    const ours = new URL(url);
    ours.pathname = `/${name}`;
    const bench = new pg.Client({ connectionString: ours.toString() });
    try {
      await bench.connect();
      const benchPid = Number((await bench.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const otherPid = Number((await admin.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const counted = postgresPids([name]);
      assert.ok(counted.includes(benchPid), "the bench database's backend is counted");
      assert.ok(!counted.includes(otherPid), "another database's backend is not");
      assert.ok(!postgresPids([]).includes(benchPid), 'nor is it when the database is not named');
      // The server's own processes (checkpointer, WAL writer…) work for every database: counted whole.
      const checkpointer = Number((await admin.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")).rows[0]?.pid);
      assert.ok(counted.includes(checkpointer), 'the checkpointer is counted');
      // The meter sees the backend's work: a query that burns CPU in it.
      const meter = new CpuMeter(() => postgresPids([name]));
      await bench.query('SELECT count(*) FROM generate_series(1, 3000000)');
      assert.ok(meter.stop() > 50, 'the backend spent CPU on the count');
    } finally {
      await bench.end();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    }
  });
});
