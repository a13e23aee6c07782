/**
 * A gateway whose stderr reader went away (a supervisor or a parent that exited: every write to the pipe fails
 * with EPIPE) keeps serving and stays idle. Its reports to stderr (here: database connections terminated by the
 * server) are dropped; a failed write must not become an uncaught exception whose report is another failed write,
 * a loop that once held a bench's orphaned gateway at 100 % of a core. PostgreSQL only (TEST_DATABASE_URL): the
 * server is what can break the gateway's connections from outside.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import pg from 'pg';
import { postgresOnly } from './helpers/database.ts';
import { schemaUrl, startGatewayProcess } from './helpers/gateway-process.ts';

const database = postgresOnly();
after(async () => database?.cleanup());

/** utime + stime of a process in clock ticks (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

test('stderr closed: reports are dropped, the gateway keeps serving, idle', { skip: !database && 'needs TEST_DATABASE_URL', timeout: 120_000 }, async () => {
  const { databaseUrl, schema } = await database!.storeOptions();
  const application = `tg_guard_${randomBytes(4).toString('hex')}`;
  const url = new URL(schemaUrl(databaseUrl!, schema!));
  url.searchParams.set('application_name', application);
  const gateway = await startGatewayProcess({ databaseUrl: url.toString(), adminToken: 'guard-token' });
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    assert.equal((await fetch(new URL('readyz', gateway.baseUrl))).status, 200, 'ready, with connections in its pool');
    gateway.child.stderr!.destroy();
    const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [application]);
    assert.ok((rowCount ?? 0) > 0, 'the gateway had connections to break');
    await sleep(1000);
    const before = cpuTicks(gateway.pid);
    await sleep(2000);
    const ticks = cpuTicks(gateway.pid) - before;
    // Idle, the process uses a few ticks (10 ms each) in 2 s; the loop used all 200.
    assert.ok(ticks < 50, `the gateway used ${ticks * 10} ms of CPU in 2 s while idle`);
    assert.equal((await fetch(new URL('readyz', gateway.baseUrl))).status, 200, 'serves on new connections');
    assert.equal(gateway.child.exitCode, null, 'still running');
    await gateway.stop(10_000);
    assert.deepEqual(await gateway.exited, { code: 0, signal: null }, 'a clean stop');
  } finally {
    await gateway.stop(1000);
    await admin.end();
  }
});
