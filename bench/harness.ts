/**
 * The bench's harness: starting and stopping the servers it measures, driving one row of load through the load
 * generator (bench/load.ts) and reading the CPU each process spent on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CpuMeter, peakRssMb, postgresPids, processTree, resetPeakRss } from './cpu.ts';
import type { Cpu } from './report.ts';
import type { Prebuilt } from './requests.ts';
import type { SqlStore } from '../src/store/sql-store.ts';

/** Seconds per row; BENCH_SECONDS shortens a run. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const CONNECTIONS = 64;
export const ROOT = join(import.meta.dirname, '..');
/**
 * Seconds of unmeasured load before each row (BENCH_WARMUP_SECONDS): JIT, connections and caches settle. 4, not 2:
 * a freshly started gateway answered queries at p99 72–80 ms in its first second of load, 44–63 in its second,
 * 37–59 in its third and steady from ~3.5 s on (bench/results/2026-12-06-notes.md, eleventh session) — a row that
 * starts a server (the first row on a gateway, the peer, the minimal servers, the latency floor) measured that ramp.
 */
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 4);

/**
 * How many pre-built requests last a closed-loop row's warm-up and `seconds` measured at up to `margin` × `perSecond`:
 * each is used once, and the load generator ends the warm-up early once a quarter are used.
 */
export const requestsLasting = (perSecond: number, margin: number, seconds = SECONDS) => Math.ceil(margin * perSecond * (seconds + WARMUP_SECONDS));
/** A paced load sends exactly its rate × (warm-up + measured seconds) requests (bench/paced-load.ts), and one more. */
export const pacedCount = (perSecond: number, seconds = SECONDS) => Math.ceil(perSecond * (WARMUP_SECONDS + seconds)) + 1;

/**
 * How the load generator sends: in a closed loop (each connection sends again as soon as its answer comes: the rows),
 * at autocannon's per-second quota (`overallRate`: each connection sends back-to-back until it has made its share of
 * the second — bench:pair's two gateways at one rate), or paced (bench/paced-load.ts: on a fixed schedule, latency
 * from each request's due time).
 */
export type Pace = { loop: 'closed' } | { loop: 'quota'; perSecond: number } | { loop: 'paced'; perSecond: number };
export const CLOSED_LOOP: Pace = { loop: 'closed' };

export interface Load {
  requests: number;
  durationSeconds: number;
  throughput: number;
  mean: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpuMs: number;
  /** Paced loads only: how late the load generator sent its requests, p99 ms. */
  sendLagP99?: number;
}
export function log(line: string) {
  process.stderr.write(`${line}\n`);
}

/**
 * Every process the bench started and that still runs. A bench stopped half-way (Ctrl-C, a kill, a throw) must not
 * leave gateways behind: an orphan keeps its database open and takes CPU from every later measurement.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => process.exit(code));

/** `child`, killed with the bench if it still runs then. */
function tracked<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Starts a server process and waits for its "listening on" banner: the gateway prints it on stderr (stdout has the JSON logs), the peer on stdout. */
export function startProcess(args: string[], node = process.execPath): Promise<{ child: ChildProcess; url: string }> {
  const child = tracked(spawn(node, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      // From here on the output (JSON logs at --log-level info) is drained unread: the gateway pays for writing its
      // logs to a pipe, as it would to a log collector, and the bench adds no cost of its own.
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve({ child, url: m[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out.slice(-2000)}`)));
  });
}

/** The words of a variable holding command-line flags, none when it is unset. */
const flagsIn = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
/**
 * V8's helper threads (its collector's parallel and concurrent work, background compilation): Node starts four
 * whatever the machine. On the 2-core bench machine, shared with PostgreSQL and the load generator, two did better
 * than four in three sets of interleaved rounds (APIv3 reverse +11 to +24 % req/s; notes of 2026-12-03) and one no
 * better, so both servers run with at most one per core. It is the runtime's setting, not the code's: the peer gets
 * it too. A later `--v8-pool-size` in BENCH_GATEWAY_NODE_FLAGS or BENCH_PEER_NODE_FLAGS wins.
 *
 * V8's young generation at most 16 MB a semi-space, what Node 20's V8 uses at any heap size. V8 13 (Node 24) sizes
 * it from the heap limit, which it derives from the machine's memory: on the bench's 24 GiB machine the gateway's
 * peak RSS rose from 150–215 MB on Node 20 to 302–342 MB on Node 24, past the 250 MB budget, and to 203–243 with
 * this flag; CPU per operation moved within the spread (three interleaved rounds; notes of 2026-12-04, sixth session).
 */
export const NODE_TUNING = [`--v8-pool-size=${Math.min(4, availableParallelism())}`, '--max-semi-space-size=16'];
/** BENCH_GATEWAY_NODE_FLAGS: extra node flags for the gateway (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
const GATEWAY_NODE_FLAGS = [...NODE_TUNING, ...flagsIn('BENCH_GATEWAY_NODE_FLAGS')];
/** BENCH_PEER_NODE_FLAGS: node flags for the peer (e.g. a preload), for A/B runs of the peer itself. */
export const PEER_NODE_FLAGS = [...NODE_TUNING, ...flagsIn('BENCH_PEER_NODE_FLAGS')];
/** BENCH_GATEWAY_DIR: the checkout whose build (dist/) is the gateway measured; this one by default (bench/ab.ts). */
const GATEWAY_DIR = resolve(process.env.BENCH_GATEWAY_DIR ?? ROOT);
/**
 * BENCH_GATEWAY_NODE: the Node binary that runs the gateway (the bench's own by default), e.g. the current LTS from
 * the npm registry's `node` package while the bench, the peer and the load generator stay on the machine's Node.
 */
export const GATEWAY_NODE = process.env.BENCH_GATEWAY_NODE || process.execPath;
/** BENCH_GATEWAY_FLAGS: extra `tradegate start` flags (e.g. "--request-log-rows 0", "--log-level info") for A/B runs. */
const GATEWAY_FLAGS = flagsIn('BENCH_GATEWAY_FLAGS');
/**
 * The gateway shares the bench's cores with PostgreSQL and the load generator, the case `--cpu-scheduling batch`
 * is for (README, Options); `BENCH_GATEWAY_FLAGS="--cpu-scheduling default"` measures the system's policy (the
 * last flag wins). Printed with each run.
 */
export const GATEWAY_TUNING = ['--cpu-scheduling', 'batch', ...GATEWAY_FLAGS];

/**
 * Starts `tradegate start` with `flags`, from the build in `dir` (BENCH_GATEWAY_DIR or this checkout by default),
 * with `nodeFlags` after the bench's own node flags, on the Node binary `node` (BENCH_GATEWAY_NODE by default).
 */
export function startGateway(flags: string[], dir = GATEWAY_DIR, nodeFlags: string[] = [], node = GATEWAY_NODE) {
  return startProcess(
    [
      ...GATEWAY_NODE_FLAGS,
      ...nodeFlags,
      join(resolve(dir), 'bin/tradegate.mjs'),
      'start',
      '--port',
      '0',
      '--tls-port',
      '0',
      '--admin-token',
      'bench',
      '--log-level',
      'error',
      '--allow-insecure-secapi',
      ...flags,
      ...GATEWAY_TUNING,
    ],
    node,
  );
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Runs the load generator: a warm-up, then the measured load. `onMeasuring` is called when the warm-up is over, so
 * that meters started there see only the measured part.
 */
export async function drive(
  url: string,
  requests: Prebuilt[],
  connections = CONNECTIONS,
  seconds = SECONDS,
  expectBody = '',
  onMeasuring = () => {},
  pace = CLOSED_LOOP,
  warmupSeconds = WARMUP_SECONDS,
): Promise<Load> {
  const file = join(tmpdir(), `tradegate-bench-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(requests));
  const rate = pace.loop === 'closed' ? 0 : pace.perSecond;
  const args = [file, url, String(seconds), String(connections), String(warmupSeconds), expectBody, String(rate)];
  const script = pace.loop === 'paced' ? 'bench/paced-load.ts' : 'bench/load.ts';
  const child = tracked(spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout.on('data', (d) => {
    const before = out;
    out += d;
    if (!before.includes('measuring\n') && out.includes('measuring\n')) onMeasuring();
  });
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(file, { force: true });
  const last = out.trim().split('\n').pop();
  if (!last || last === 'measuring') throw new Error('the load generator printed no result');
  return JSON.parse(last) as Load;
}

function pidOf(server: ChildProcess): number {
  if (server.pid === undefined) throw new Error('the server process has no pid (it did not start)');
  return server.pid;
}

/**
 * Load at `connections` for `seconds`, with the CPU per operation of the server (its process tree), the PostgreSQL
 * backends of `databases` and the load generator, read over the measured part only.
 */
export async function meteredLoad(
  server: ChildProcess,
  databases: string[],
  url: string,
  requests: Prebuilt[],
  expectBody = '',
  connections = CONNECTIONS,
  seconds = SECONDS,
  pace = CLOSED_LOOP,
  warmupSeconds = WARMUP_SECONDS,
) {
  const pid = pidOf(server);
  const at: { loadAverage?: number; gateway?: CpuMeter; postgres?: CpuMeter } = {};
  const load = await drive(
    url,
    requests,
    connections,
    seconds,
    expectBody,
    () => {
      at.loadAverage = loadavg()[0];
      at.gateway = new CpuMeter(() => processTree(pid));
      at.postgres = new CpuMeter(() => (databases.length ? postgresPids(databases) : []));
    },
    pace,
    warmupSeconds,
  );
  if (!at.gateway || !at.postgres || at.loadAverage === undefined) throw new Error('the load generator never started measuring');
  const ops = Math.max(load.requests, 1);
  const cpu: Cpu = { gateway: at.gateway.stop() / ops, postgres: at.postgres.stop() / ops, loader: load.cpuMs / ops };
  return { load, cpu, loadAverage: at.loadAverage };
}

/** One row: load, CPU of server / PostgreSQL / loader per operation, this row's peak RSS of the server. */
export async function measureRow(server: ChildProcess, databases: string[], url: string, requests: Prebuilt[], expectBody = '', pace = CLOSED_LOOP) {
  const pid = pidOf(server);
  resetPeakRss(pid);
  const measured = await meteredLoad(server, databases, url, requests, expectBody, CONNECTIONS, SECONDS, pace);
  return { ...measured, peakRss: peakRssMb(pid) };
}

/**
 * The live nonces of a gateway that has answered 2,000 APIv3 requests a second for the ten minutes a nonce lives:
 * one expiring every half millisecond from now on. A gateway minutes after its start holds far fewer, and the
 * sweeper's purge of the expired ones (every second) had cost what the table holds, not what expires
 * (bench/results/2026-12-05-notes.md). A smoke run (BENCH_QUICK=1) holds a thousand.
 */
export const STEADY_STATE_NONCES = process.env.BENCH_QUICK === '1' ? 1_000 : 1_200_000;

/**
 * The database as a gateway under sustained load keeps it — its live nonces (STEADY_STATE_NONCES, taken by
 * `mchid`) — then the autovacuum and the checkpoint that bulk inserts set off, which would otherwise run during the
 * first measurements.
 */
export async function steadyState(store: SqlStore, mchid: string): Promise<void> {
  const now = Date.now();
  // In statements of 200,000 rows: each must finish within the store's statement timeout (5 s by default).
  for (let from = 1; from <= STEADY_STATE_NONCES; from += 200_000) {
    await store.db.query(
      `INSERT INTO auth_nonces (mchid, nonce, expires_at)
       SELECT $1, 'steady-' || g, $2::bigint + g / 2 FROM generate_series($3::int, $4::int) g`,
      [mchid, now, from, Math.min(STEADY_STATE_NONCES, from + 199_999)],
    );
  }
  await store.db.exec('VACUUM (ANALYZE) orders, auth_nonces');
  await store.db.exec('CHECKPOINT');
}
