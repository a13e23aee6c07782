/**
 * `npm run bench`: tradegate under load on PostgreSQL (BENCH_DATABASE_URL, default the local server) and on
 * embedded PGlite, against the machine's own ceilings (openssl speed, pgbench; see machine-ceilings.ts) and
 * against a plain peer implementation of the APIv3 reverse (bench/peer/), with CPU per operation from /proc.
 * Prints a Markdown table and appends the run to bench/results/<date>.{json,md}. A script, not a test: it
 * asserts nothing, it measures.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeCeiling } from './ceilings.ts';
import { benchMerchant, bulkOrders, databasesOf, pgliteBackend, postgresBackend, type Backend } from './fixtures.ts';
import {
  CONNECTIONS,
  GATEWAY_NODE,
  GATEWAY_TUNING,
  log,
  measureRow,
  NODE_TUNING,
  PEER_NODE_FLAGS,
  pacedCount,
  requestsLasting,
  ROOT,
  SECONDS,
  startGateway,
  startProcess,
  steadyState,
  stopProcess,
  WARMUP_SECONDS,
} from './harness.ts';
import { latencyFloor } from './latency-floor.ts';
import { minimalRow } from './minimal.ts';
import { opensslCeiling, pgbenchCeiling, pgliteLoopCeiling } from './machine-ceilings.ts';
import { peerFixtures, type PeerConfig } from './peer/schema.ts';
import { benchScale } from './scale.ts';
import { writeRunHistory } from './history.ts';
import { markdown, type Ceilings, type Row } from './report.ts';
import { ROW, TARGET_TEXT, TARGETS } from './targets.ts';
import { secretsOf, signV3, v2Reverse, v3Close, v3Query, v3Reverse, type Prebuilt } from './requests.ts';
import type { Merchant } from '../src/core/merchant.ts';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** BENCH_QUICK=1 shrinks every count (a smoke run of the script itself, not a measurement). */
const QUICK = process.env.BENCH_QUICK === '1';
const ORDERS = QUICK
  ? { query: 100, ceiling: 500, scaleSmall: 1000, scaleLarge: 10_000 }
  : { query: 1000, ceiling: 30_000, scaleSmall: 10_000, scaleLarge: 990_000 };
/**
 * Pre-built requests, and orders for the rows that use one per request, for a row that answers up to 1.5 times
 * `perSecond` (its ceiling; the highest row seen was 1.41 L): each is used once, so they must last the warm-up and
 * every measured second. Fixed counts ran out on faster machines: at 6,000 APIv2 reverses/s, 40,000 orders measured
 * ~5 of the 10 s asked. A row that still runs out says so under the table (report.ts).
 */
const enoughFor = (perSecond: number, seconds = SECONDS) => (QUICK ? 500 : requestsLasting(perSecond, 1.5, seconds));
/**
 * The paced rows' rate: the throughput the targets name (0.6 L), sent on a fixed schedule — what latency a merchant
 * sees at that load, where a closed loop's latency is its connections ÷ its throughput. A smoke run paces at 200/s.
 * BENCH_PACED_RATE=<n> paces at n a second instead, for A/B runs (bench:ab): each run measures its own L, and CPU per
 * operation at different rates would not compare.
 */
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 0);
const pacedRate = (L: number) => (PACED_RATE > 0 ? PACED_RATE : QUICK ? 200 : Math.round(TARGETS.reverseRatio * L));
/** BENCH_STORE=1 also prints tradegate's own store throughput (information only: it is not a ceiling). */
const STORE = process.env.BENCH_STORE === '1';
/**
 * BENCH_ROWS runs only some rows, for interleaved A/B runs and profiles (printed, not kept): `reverse` (the APIv3
 * reverse and the peer), `query`, `close`, `v2`, `paced` (the APIv3 reverse and query at a paced 0.6 L), or several
 * separated by commas.
 */
const ROW_KEYS = ['reverse', 'query', 'close', 'v2', 'paced'] as const;
type RowKey = (typeof ROW_KEYS)[number];
const ONLY_ROWS = process.env.BENCH_ROWS ? new Set(process.env.BENCH_ROWS.split(',')) : null;
for (const key of ONLY_ROWS ?? []) {
  if (!(ROW_KEYS as readonly string[]).includes(key)) throw new Error(`BENCH_ROWS: no row ${JSON.stringify(key)} (rows: ${ROW_KEYS.join(', ')})`);
}
const wanted = (key: RowKey) => ONLY_ROWS === null || ONLY_ROWS.has(key);
/** BENCH_SCALE=0 skips the 10k-vs-1M and 1-vs-2-process section (it inserts a million orders). */
const SCALE = process.env.BENCH_SCALE !== '0';

function row(name: string, backend: string, r: Awaited<ReturnType<typeof measureRow>>, ceiling: number, unit: string, target: string): Row {
  const { load } = r;
  const out: Row = {
    ...(load.sendLagP99 === undefined ? {} : { sendLagP99: load.sendLagP99 }),
    row: name,
    backend,
    throughput: Math.round(load.throughput),
    seconds: Math.round(load.durationSeconds * 10) / 10,
    mean: load.mean,
    p50: load.p50,
    p99: load.p99,
    errors: load.non2xx + load.errors,
    peakRssMb: r.peakRss,
    ratio: `${(load.throughput / ceiling).toFixed(2)} ${unit}`,
    target,
    cpuMsPerOp: r.cpu,
    loadAverage: r.loadAverage,
  };
  log(
    `  ${name}: ${out.throughput} req/s over ${out.seconds} s, mean ${load.mean.toFixed(1)} ms, p50 ${load.p50} ms, p99 ${load.p99} ms, errors ${out.errors}, CPU ms/op gateway ${r.cpu.gateway.toFixed(3)} ` +
      `PostgreSQL ${r.cpu.postgres.toFixed(3)} loader ${r.cpu.loader.toFixed(3)}, peak RSS ${r.peakRss} MB, load ${r.loadAverage.toFixed(2)}`,
  );
  return out;
}

/** The peer on the same database, replaying the very requests tradegate's reverse row was given. */
async function peerRow(backend: Backend, m: Merchant, requests: Prebuilt[], L: number): Promise<Row> {
  const databaseUrl = backend.startFlags[backend.startFlags.indexOf('--database-url') + 1];
  await peerFixtures(databaseUrl, m.mchid, 'R', requests.length);
  const s = secretsOf(m);
  const config: PeerConfig = {
    databaseUrl,
    appid: m.appid,
    merchantCertificatePem: s.merchantCertificatePem,
    platformPrivateKeyPem: s.platformPrivateKeyPem,
    platformSerialNo: s.platformSerialNo,
  };
  const file = join(tmpdir(), `tradegate-bench-peer-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  const peer = await startProcess([...PEER_NODE_FLAGS, '--import', 'tsx', 'bench/peer/server.ts', file]);
  try {
    return row('peer: plain APIv3 reverse', backend.name, await measureRow(peer.child, databasesOf(backend), peer.url, requests), L, 'L', '');
  } finally {
    await stopProcess(peer.child);
    rmSync(file, { force: true });
  }
}

async function benchBackend(backend: Backend, c: Ceilings, rows: Row[]): Promise<Record<string, number>> {
  const { D, L } = c;
  const count = { reverse: enoughFor(L), close: enoughFor(L), v2: enoughFor(D.tps), queries: enoughFor(L), paced: pacedCount(pacedRate(L)) };
  log(`\n== ${backend.name}: preparing orders`);
  const store = await backend.open();
  const m = await benchMerchant(store);
  await bulkOrders(store, m, 'R', count.reverse, 'paid-code');
  await bulkOrders(store, m, 'C', count.close, 'unpaid-native');
  await bulkOrders(store, m, 'V', count.v2, 'paid-code');
  await bulkOrders(store, m, 'Q', ORDERS.query, 'paid-code');
  if (wanted('paced')) await bulkOrders(store, m, 'P', count.paced, 'paid-code');
  const own: Record<string, number> = {};
  if (STORE) {
    await bulkOrders(store, m, 'D', ORDERS.ceiling, 'paid-code');
    await bulkOrders(store, m, 'E', ORDERS.ceiling, 'paid-code');
  }
  await steadyState(store, m.mchid);
  if (STORE) {
    own.v3 = await storeCeiling(store, m.mchid, 'D', ORDERS.ceiling, 5, 'v3');
    own.v2 = await storeCeiling(store, m.mchid, 'E', ORDERS.ceiling, 5, 'v2');
    log(`tradegate's own store (${backend.name}, not a ceiling): ${own.v3.toFixed(0)} APIv3 reverse tx/s, ${own.v2.toFixed(0)} APIv2`);
  }
  await store.db.close();
  const databases = databasesOf(backend);

  const { child, url } = await startGateway(backend.startFlags);
  try {
    if (wanted('reverse')) {
      log(`${backend.name}: APIv3 reverse: pre-signing`);
      const reverses = await signV3(m, v3Reverse(m, 'R', count.reverse));
      rows.push(row(ROW.reverse, backend.name, await measureRow(child, databases, url, reverses), L, 'L', TARGET_TEXT.reverse));
      if (backend.name === 'postgres') rows.push(await peerRow(backend, m, reverses, L));
    }
    const plan: [RowKey, string, () => Promise<Prebuilt[]>, number, string, string, string][] = [
      ['query', ROW.query, () => signV3(m, v3Query(m, 'Q', ORDERS.query, count.queries)), L, 'L', TARGET_TEXT.query, '"trade_state":"SUCCESS"'],
      ['close', 'APIv3 close', () => signV3(m, v3Close(m, 'C', count.close)), L, 'L', '', ''],
      ['v2', ROW.v2, async () => v2Reverse(m, 'V', count.v2), D.tps, 'D', TARGET_TEXT.v2, '<result_code><!\\[CDATA\\[SUCCESS\\]\\]></result_code>'],
    ];
    for (const [key, name, build, ceiling, unit, target, expectBody] of plan) {
      if (!wanted(key)) continue;
      log(`${backend.name}: ${name}: pre-signing`);
      rows.push(row(name, backend.name, await measureRow(child, databases, url, await build(), expectBody), ceiling, unit, target));
    }
    // Last, so that the closed-loop rows run as they always have; on the warm gateway they leave.
    if (wanted('paced')) {
      const pace = { loop: 'paced', perSecond: pacedRate(L) } as const;
      const paced: [string, () => Promise<Prebuilt[]>, string, string][] = [
        ['APIv3 reverse, paced at 0.6 L', () => signV3(m, v3Reverse(m, 'P', count.paced)), TARGET_TEXT.pacedReverse, ''],
        ['APIv3 query, paced at 0.6 L', () => signV3(m, v3Query(m, 'Q', ORDERS.query, count.paced)), TARGET_TEXT.pacedQuery, '"trade_state":"SUCCESS"'],
      ];
      for (const [name, build, target, expectBody] of paced) {
        log(`${backend.name}: ${name}: pre-signing`);
        rows.push(row(name, backend.name, await measureRow(child, databases, url, await build(), expectBody, pace), L, 'L', target));
      }
    }
  } finally {
    await stopProcess(child);
  }
  return own;
}

const startedAt = new Date().toISOString();
log(
  `load average at start: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
// A/B runs of some rows (BENCH_ROWS) read CPU per op, not the ratio: short ceiling measurements do.
const SHORT = QUICK || ONLY_ROWS !== null;
const S = await opensslCeiling(SHORT ? 1 : 3);
log(`S = ${S.signsPerSecond.toFixed(0)} RSA-2048 signs/s, ${S.verifiesPerSecond.toFixed(0)} verifies/s (openssl speed, all cores)`);
const Dpg = await pgbenchCeiling(SERVER, SHORT ? 3 : 10);
log(`D = ${Dpg.tps.toFixed(0)} tx/s (pgbench -N on the PostgreSQL server), PostgreSQL CPU ${Dpg.cpuMsPerTx.toFixed(3)} ms/tx`);
const Dlite = await pgliteLoopCeiling(SHORT ? 1 : 5);
// Runs of some rows (A/B, profiles) compare the gateway with itself: the latency floor is for full runs and the smoke.
const floor = ONLY_ROWS === null ? await latencyFloor(QUICK) : null;
if (floor) log(`latency floor (a server that only signs): ${floor.throughput.toFixed(0)} answers/s, mean ${floor.mean.toFixed(1)} ms, p99 ${floor.p99} ms`);
// What the machine leaves any server of the protocol: the floor's throughput bounds how many requests each needs.
const minimal = floor
  ? { query: await minimalRow(SERVER, 'query', QUICK, floor.throughput), reverse: await minimalRow(SERVER, 'reverse', QUICK, floor.throughput) }
  : null;
for (const [name, { load, cpu }] of Object.entries(minimal ?? {})) {
  log(
    `minimal APIv3 ${name}: ${load.throughput.toFixed(0)} answers/s, mean ${load.mean.toFixed(1)} ms, p99 ${load.p99} ms, ` +
      `CPU ms/op server ${cpu.gateway.toFixed(3)} PostgreSQL ${cpu.postgres.toFixed(3)} loader ${cpu.loader.toFixed(3)}`,
  );
}
log(`D = ${Dlite.tps.toFixed(0)} tx/s (PGlite, in-process loop), CPU ${Dlite.cpuMsPerTx.toFixed(3)} ms/tx`);
const pgC: Ceilings = { S, D: Dpg, L: 1 / (1 / S.signsPerSecond + 1 / Dpg.tps) };
const liteC: Ceilings = { S, D: Dlite, L: 1 / (1 / S.signsPerSecond + 1 / Dlite.tps) };

const rows: Row[] = [];
const pgBackend = await postgresBackend(SERVER, 'main');
let ownPg: Record<string, number> = {};
try {
  ownPg = await benchBackend(pgBackend, pgC, rows);
} finally {
  await pgBackend.drop();
}
let ownLite: Record<string, number> = {};
if (process.env.BENCH_PGLITE !== '0') {
  const liteBackend = pgliteBackend();
  try {
    ownLite = await benchBackend(liteBackend, liteC, rows);
  } finally {
    await liteBackend.drop();
  }
}
/**
 * The 10k-vs-1M rounds' rate for each of the two gateways: a tenth of L, well below what two gateways and two load
 * generators at once can serve, so that a latency is the query's own work and not a queue's. At a quarter of L each
 * (560/s) a trial on 2026-12-07 queued: p50 258 ms against 4.4 ms at 280/s (fresh gateways at a low rate share
 * little per database transaction and spent 1.0–1.9 ms of gateway CPU a query). A smoke run paces at 100/s.
 */
const scaleRate = (L: number) => (QUICK ? 100 : Math.round(L / 10));
const scale = SCALE ? await benchScale(SERVER, { ...ORDERS, readingRate: scaleRate(pgC.L), queries: enoughFor(pgC.L) }) : null;
const table = markdown(rows, pgC, liteC, scale, {
  startedAt,
  connections: CONNECTIONS,
  seconds: SECONDS,
  warmupSeconds: WARMUP_SECONDS,
  latencyFloor: floor,
  minimal,
  gatewayFlags: GATEWAY_TUNING.join(' '),
  nodeFlags: NODE_TUNING.join(' '),
  gatewayNodeVersion: GATEWAY_NODE === process.execPath ? null : execFileSync(GATEWAY_NODE, ['--version'], { encoding: 'utf8' }).trim(),
});
process.stdout.write(table);
// BENCH_ROWS_JSON: the rows as JSON too, for bench/ab.ts (interleaved runs of variants).
if (process.env.BENCH_ROWS_JSON) writeFileSync(process.env.BENCH_ROWS_JSON, JSON.stringify(rows));
// Smoke runs and runs of some rows are printed only; bench/results/ keeps full runs.
if (QUICK || ONLY_ROWS !== null) process.exit(0);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const date = startedAt.slice(0, 10);
const jsonFile = join(ROOT, `bench/results/${date}.json`);
// Several runs a day go into one file: these machines are noisy, and a figure is read across runs.
const previous = existsSync(jsonFile) ? ((JSON.parse(readFileSync(jsonFile, 'utf8')) as { runs?: unknown[] }).runs ?? []) : [];
const run = {
  startedAt,
  machineCeilings: { postgres: pgC, pglite: liteC },
  latencyFloor: floor,
  minimal,
  tradegateStore: { postgres: ownPg, pglite: ownLite },
  rows,
  scale,
};
writeFileSync(jsonFile, `${JSON.stringify({ date, runs: [...previous, run] }, null, 2)}\n`);
appendFileSync(join(ROOT, `bench/results/${date}.md`), `${table}\n`);
// The table of every run in docs/performance.md, so that the record there includes this one.
writeRunHistory(ROOT);
log(`\nwritten: bench/results/${date}.json and .md, and the table of every run in docs/performance.md`);
