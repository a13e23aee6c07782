/**
 * `npm run bench`: tradegate under load on PostgreSQL (BENCH_DATABASE_URL, default the local server) and on
 * embedded PGlite, against the machine's own ceilings. Prints a Markdown table and writes
 * bench/results/<date>.{json,md}. A script, not a test: it asserts nothing, it measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { storeCeiling } from './ceilings.ts';
import { benchMerchant, bulkOrders, pgliteBackend, postgresBackend, type Backend } from './fixtures.ts';
import { signV3, v2Reverse, v3Close, v3Query, v3Reverse, type Prebuilt } from './requests.ts';
import { signingCeiling } from './rsa-pool.ts';
import type { SqlStore } from '../src/store/sql-store.ts';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const ROOT = join(import.meta.dirname, '..');

interface Load { requests: number; durationSeconds: number; throughput: number; p50: number; p99: number; non2xx: number; errors: number }
interface Row { row: string; backend: string; throughput: number; p50: number; p99: number; errors: number; peakRssMb: number; ratio: string; target: string }

function log(line: string) { process.stderr.write(`${line}\n`); }

async function startGateway(flags: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/tradegate.mjs', 'start', '--port', '0', '--tls-port', '0', '--admin-token', 'bench',
    '--log-level', 'error', '--allow-insecure-secapi', ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', () => undefined);
    // The start banner is on stderr (stdout has the JSON logs).
    child.stderr!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
}

async function stopGateway(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => { child.removeAllListeners('exit'); child.once('exit', () => resolve()); child.kill('SIGTERM'); });
}

/** Peak resident memory of a process and its children (cluster workers), from /proc. */
function peakRssMb(pid: number): number {
  const pids = [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)];
  let kb = 0;
  for (const p of pids) {
    try { kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0); } catch { /* exited */ }
  }
  return Math.round(kb / 1024);
}

async function drive(url: string, requests: Prebuilt[], connections = CONNECTIONS, seconds = SECONDS, expectBody = ''): Promise<Load> {
  const file = join(tmpdir(), `tradegate-bench-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(requests));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', file, url, String(seconds), String(connections), expectBody], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out.trim().split('\n').pop()!) as Load;
}

/** Bulk inserts set off autovacuum and a checkpoint; they would otherwise run during the first measurements. */
async function steadyState(store: SqlStore): Promise<void> {
  await store.db.exec('VACUUM (ANALYZE) orders');
  await store.db.exec('CHECKPOINT');
}

/** BENCH_QUICK=1 shrinks every count (a smoke run of the script itself, not a measurement). */
const QUICK = process.env.BENCH_QUICK === '1';
const ORDERS = QUICK
  ? { reverse: 500, close: 500, v2: 500, query: 100, ceiling: 500, scaleSmall: 1000, scaleLarge: 10_000, queries: 500 }
  : { reverse: 20_000, close: 20_000, v2: 30_000, query: 1000, ceiling: 30_000, scaleSmall: 10_000, scaleLarge: 990_000, queries: 25_000 };

async function benchBackend(backend: Backend, S: number, rows: Row[]): Promise<{ D: number; D2: number }> {
  log(`\n== ${backend.name}: preparing orders`);
  const store = await backend.open();
  const m = await benchMerchant(store);
  await bulkOrders(store, m, 'R', ORDERS.reverse, 'paid-code');
  await bulkOrders(store, m, 'C', ORDERS.close, 'unpaid-native');
  await bulkOrders(store, m, 'V', ORDERS.v2, 'paid-code');
  await bulkOrders(store, m, 'Q', ORDERS.query, 'paid-code');
  await bulkOrders(store, m, 'D', ORDERS.ceiling, 'paid-code');
  await bulkOrders(store, m, 'E', ORDERS.ceiling, 'paid-code');
  await steadyState(store);
  const D = await storeCeiling(store, m.mchid, 'D', ORDERS.ceiling, 5, 'v3');
  const D2 = await storeCeiling(store, m.mchid, 'E', ORDERS.ceiling, 5, 'v2');
  log(`D (${backend.name}) = ${D.toFixed(0)} APIv3 reverse transactions/s (with the nonce), ${D2.toFixed(0)} APIv2 (without)`);
  await store.db.close();
  const L = 1 / (1 / S + 1 / D);

  const { child, url } = await startGateway(backend.startFlags);
  const plan: [string, () => Promise<Prebuilt[]>, number, string, string][] = [
    ['APIv3 reverse (paid → refund)', () => signV3(m, v3Reverse(m, 'R', ORDERS.reverse)), L, '≥ 0.6 L, p99 ≤ 50 ms', ''],
    ['APIv3 query', () => signV3(m, v3Query(m, 'Q', ORDERS.query, ORDERS.queries)), L, '', '"trade_state":"SUCCESS"'],
    ['APIv3 close', () => signV3(m, v3Close(m, 'C', ORDERS.close)), L, '', ''],
    ['APIv2 reverse (HMAC)', async () => v2Reverse(m, 'V', ORDERS.v2), D2, '≥ 0.6 D', '<result_code><!\\[CDATA\\[SUCCESS\\]\\]></result_code>'],
  ];
  for (const [name, build, ceiling, target, expectBody] of plan) {
    log(`${backend.name}: ${name}: pre-signing`);
    const requests = await build();
    const load = await drive(url, requests, CONNECTIONS, SECONDS, expectBody);
    const errors = load.non2xx + load.errors;
    rows.push({
      row: name, backend: backend.name, throughput: Math.round(load.throughput), p50: load.p50, p99: load.p99, errors,
      peakRssMb: peakRssMb(child.pid!), ratio: `${(load.throughput / ceiling).toFixed(2)} ${ceiling === L ? 'L' : 'D'}`, target,
    });
    log(`  ${Math.round(load.throughput)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, errors ${errors}`);
  }
  await stopGateway(child);
  return { D, D2 };
}

/** Query latency with 10k vs 1M orders, and 1 vs 2 gateway processes (PostgreSQL only). */
async function benchScale(S: number): Promise<Record<string, number>> {
  log('\n== scale: 10k vs 1M orders; 1 vs 2 processes');
  const backend = await postgresBackend(SERVER, 'scale');
  try {
    const store = await backend.open();
    const m = await benchMerchant(store);
    await bulkOrders(store, m, 'Q', ORDERS.scaleSmall, 'paid-code');
    const queries = async (url: string, n: number, connections: number, seconds: number) =>
      drive(url, await signV3(m, v3Query(m, 'Q', ORDERS.scaleSmall, n)), connections, seconds, '"trade_state":"SUCCESS"');
    let gw = await startGateway(backend.startFlags);
    const small = await queries(gw.url, ORDERS.queries, 8, 5);
    const single = await queries(gw.url, ORDERS.queries, CONNECTIONS, SECONDS);
    await stopGateway(gw.child);
    log(`inserting ${ORDERS.scaleLarge} more orders`);
    await bulkOrders(store, m, 'Z', ORDERS.scaleLarge, 'paid-code');
    await steadyState(store);
    await store.db.close();
    gw = await startGateway(backend.startFlags);
    const large = await queries(gw.url, ORDERS.queries, 8, 5);
    await stopGateway(gw.child);
    gw = await startGateway([...backend.startFlags, '--workers', '2']);
    await new Promise((r) => setTimeout(r, 2000)); // both workers listening
    const double = await queries(gw.url, ORDERS.queries, CONNECTIONS, SECONDS);
    await stopGateway(gw.child);
    return {
      queryP50At10k: small.p50, queryP50At1M: large.p50, queryP99At10k: small.p99, queryP99At1M: large.p99,
      latencyRatio: large.p50 / Math.max(small.p50, 0.001), oneProcess: single.throughput, twoProcesses: double.throughput,
      processScaling: double.throughput / single.throughput, S,
      errors: [small, single, large, double].reduce((sum, l) => sum + l.non2xx + l.errors, 0),
    };
  } finally {
    await backend.drop();
  }
}

function markdown(rows: Row[], ceilings: Record<string, number>, scale: Record<string, number>): string {
  const lines = [
    `Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; ${CONNECTIONS} connections, ${SECONDS} s per row.`,
    `Ceilings: S = ${ceilings.S!.toFixed(0)} RSA-2048 signatures/s (all cores); D = ${ceilings.Dpostgres!.toFixed(0)} tx/s (PostgreSQL), ${ceilings.Dpglite!.toFixed(0)} tx/s (PGlite) ` +
      `for APIv3 reverses (nonce included), ${ceilings.DpostgresV2!.toFixed(0)} / ${ceilings.DpgliteV2!.toFixed(0)} for APIv2 reverses (no nonce; the APIv2 rows' D); ` +
      `L = 1/(1/S + 1/D) = ${ceilings.Lpostgres!.toFixed(0)} / ${ceilings.Lpglite!.toFixed(0)}.`,
    '',
    '| row | database | req/s | p50 ms | p99 ms | errors | peak RSS MB | ratio | target |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.row} | ${r.backend} | ${r.throughput} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.peakRssMb} | ${r.ratio} | ${r.target} |`),
    '',
    `Scale (PostgreSQL): query p50 ${scale.queryP50At10k} ms with 10k orders vs ${scale.queryP50At1M} ms with 1M (${scale.latencyRatio!.toFixed(2)}×, target ≤ 1.2×); ` +
      `query throughput ${Math.round(scale.oneProcess!)} req/s with 1 process vs ${Math.round(scale.twoProcesses!)} with 2 (${scale.processScaling!.toFixed(2)}×, target ≥ 1.6×); ${scale.errors} errors.`,
  ];
  return `${lines.join('\n')}\n`;
}

const S = await signingCeiling((await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 3);
log(`S = ${S.toFixed(0)} RSA-2048 signatures/s on ${availableParallelism()} cores`);
const rows: Row[] = [];
const pgBackend = await postgresBackend(SERVER, 'main');
let Dpostgres = 0;
let DpostgresV2 = 0;
try { ({ D: Dpostgres, D2: DpostgresV2 } = await benchBackend(pgBackend, S, rows)); } finally { await pgBackend.drop(); }
const { D: Dpglite, D2: DpgliteV2 } = await benchBackend(pgliteBackend(), S, rows);
const ceilings = { S, Dpostgres, Dpglite, DpostgresV2, DpgliteV2, Lpostgres: 1 / (1 / S + 1 / Dpostgres), Lpglite: 1 / (1 / S + 1 / Dpglite) };
const scale = await benchScale(S);
const table = markdown(rows, ceilings, scale);
process.stdout.write(table);
if (QUICK) process.exit(0);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const date = new Date().toISOString().slice(0, 10);
writeFileSync(join(ROOT, `bench/results/${date}.json`), `${JSON.stringify({ date: new Date().toISOString(), ceilings, rows, scale }, null, 2)}\n`);
writeFileSync(join(ROOT, `bench/results/${date}.md`), table);
log(`\nwritten: bench/results/${date}.json and .md`);
