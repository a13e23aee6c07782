/**
 * The machine's ceilings, measured by tools that are not tradegate: S from `openssl speed` on every core, D from
 * `pgbench -N` against the same PostgreSQL server (its own database, created and dropped here), and for PGlite
 * the best a trivial in-process loop of pgbench's -N statements achieves (the better of two ways to speak to it).
 * Each also yields the CPU per operation that makes up the floor (one sign + one verify + one transaction).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { CpuMeter, postgresPids } from './cpu.ts';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`))));
  });
}

export interface SigningCeiling {
  signsPerSecond: number;
  verifiesPerSecond: number;
  signCpuMs: number;
  verifyCpuMs: number;
}

/** `openssl speed -multi <cores> rsa2048`: the summary line "rsa 2048 bits <sign s> <verify s> <sign/s> <verify/s>". */
export async function opensslCeiling(seconds: number): Promise<SigningCeiling> {
  const cores = availableParallelism();
  const out = await run('openssl', ['speed', '-seconds', String(seconds), '-multi', String(cores), 'rsa2048']);
  const line = out
    .split('\n')
    .reverse()
    .find((l) => /^rsa\s+2048 bits/.test(l));
  const nums = line?.trim().split(/\s+/).slice(-2).map(Number);
  if (!nums || nums.some((n) => !Number.isFinite(n))) throw new Error(`cannot read openssl speed output:\n${out}`);
  const [signs, verifies] = nums as [number, number];
  return { signsPerSecond: signs, verifiesPerSecond: verifies, ...rsaCpuMs() };
}

/**
 * CPU time of one RSA-2048 sign and one verify, from node's own process.cpuUsage() around a synchronous loop:
 * CPU time, not wall time, so a machine shared with other work does not inflate it (cores / S would: openssl's
 * processes then get only a share of the cores).
 */
function rsaCpuMs(): { signCpuMs: number; verifyCpuMs: number } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = Buffer.from('floor');
  const signature = sign('sha256', message, privateKey);
  const time = (n: number, f: () => void) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const t = process.cpuUsage(t0);
    return (t.user + t.system) / 1000 / n;
  };
  return { signCpuMs: time(300, () => sign('sha256', message, privateKey)), verifyCpuMs: time(3000, () => verify('sha256', message, publicKey, signature)) };
}

export interface DatabaseCeiling {
  tps: number;
  cpuMsPerTx: number;
}

/**
 * libpq's variables for `database` on the server of `serverUrl`. A Unix-socket directory is written
 * percent-encoded in a URL's host (`postgres://postgres@%2Fvar%2Frun%2Fpostgresql/test`, as node-postgres reads it)
 * and libpq wants it decoded, as it wants the user and password.
 */
export function pgbenchEnvironment(serverUrl: string, database: string): Record<string, string> {
  const u = new URL(serverUrl);
  return {
    PGHOST: decodeURIComponent(u.hostname),
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username || 'postgres'),
    ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}),
    PGDATABASE: database,
  };
}

/** `pgbench -N -c 16 -j 2 -T <seconds>` in a database of its own on `serverUrl`; PostgreSQL CPU read from /proc. */
export async function pgbenchCeiling(serverUrl: string, seconds: number): Promise<DatabaseCeiling> {
  const name = `tradegate_bench_pgbench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const env = { ...process.env, ...pgbenchEnvironment(serverUrl, name) };
  try {
    await run('pgbench', ['-i', '-q', '-s', '1'], env);
    await admin.query('CHECKPOINT');
    const meter = new CpuMeter(() => postgresPids([name]));
    const out = await run('pgbench', ['-N', '-c', '16', '-j', '2', '-T', String(seconds)], env);
    const cpu = meter.stop();
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
    if (!Number.isFinite(tps) || !processed) throw new Error(`cannot read pgbench output:\n${out}`);
    return { tps, cpuMsPerTx: cpu / processed };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  }
}

/**
 * PGlite has no pgbench: the same -N transaction (update an account, read it, insert history) in a plain loop on
 * one in-process instance, which is all PGlite offers (one connection). It is run both ways PGlite can be spoken
 * to — its own `query` (every statement parsed and planned again) and node-postgres through PGlite's own
 * connection with prepared statements — and the better is the ceiling. CPU is this process's own.
 */
export async function pgliteLoopCeiling(seconds: number): Promise<DatabaseCeiling> {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-bench-pgbench-'));
  const db = await PGlite.create({ dataDir: dir });
  const client = new pg.Client(createPgConfig(db));
  try {
    await db.exec(`CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
      CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
      INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 100000) g;`);
    const own = await loop(seconds / 2, (aid, delta) =>
      db.transaction(async (tx) => {
        await tx.query(PGBENCH_N.update, [delta, aid]);
        await tx.query(PGBENCH_N.select, [aid]);
        await tx.query(PGBENCH_N.insert, [1, aid, delta]);
      }),
    );
    await client.connect();
    const prepared = await loop(seconds / 2, async (aid, delta) => {
      await client.query('BEGIN');
      await client.query({ name: 'update', text: PGBENCH_N.update, values: [delta, aid] });
      await client.query({ name: 'select', text: PGBENCH_N.select, values: [aid] });
      await client.query({ name: 'insert', text: PGBENCH_N.insert, values: [1, aid, delta] });
      await client.query('COMMIT');
    });
    return own.tps > prepared.tps ? own : prepared;
  } finally {
    await client.end();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const PGBENCH_N = {
  update: 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2',
  select: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  insert: 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, 1, $2, $3, CURRENT_TIMESTAMP)',
};

async function loop(seconds: number, transaction: (aid: number, delta: number) => Promise<void>): Promise<DatabaseCeiling> {
  const cpu0 = process.cpuUsage();
  const started = Date.now();
  const end = started + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    await transaction(1 + Math.floor(Math.random() * 100000), Math.floor(Math.random() * 10001) - 5000);
    n++;
  }
  const used = process.cpuUsage(cpu0);
  return { tps: n / ((Date.now() - started) / 1000), cpuMsPerTx: (used.user + used.system) / 1000 / n };
}
