/** The bench's report: its rows and the machine's ceilings as the Markdown table kept in bench/results/ and the README. */
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { Load } from './harness.ts';
import type { DatabaseCeiling, SigningCeiling } from './machine-ceilings.ts';
import type { MinimalOperation } from './minimal.ts';
import { isPeerRow, ROW, TARGETS } from './targets.ts';

export interface Cpu {
  gateway: number;
  postgres: number;
  loader: number;
}

export interface Row {
  row: string;
  backend: string;
  throughput: number;
  /** Seconds measured: fewer than asked when the row's pre-built requests ran out. */
  seconds: number;
  /** Mean latency, ms: in a closed loop, connections ÷ throughput (Little's law). */
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  peakRssMb: number;
  ratio: string;
  target: string;
  cpuMsPerOp: Cpu;
  loadAverage: number;
  /** Paced rows: how late the load generator sent its requests, p99 ms (bench/paced-load.ts). */
  sendLagP99?: number;
}

export interface Ceilings {
  S: SigningCeiling;
  D: DatabaseCeiling;
  L: number;
}

type LoadFigures = Pick<Load, 'throughput' | 'mean' | 'p99' | 'non2xx' | 'errors'>;

export interface RunShape {
  startedAt: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** `bench/sign-only-server.ts` under the same load: the spread of latency before any gateway work (full runs). */
  latencyFloor: LoadFigures | null;
  /** `bench/minimal-server.ts` under the same load: what the machine leaves any server of the protocol (full runs). */
  minimal: Record<MinimalOperation, { load: LoadFigures; cpu: Cpu }> | null;
  /** `tradegate start` flags of the measured gateway beyond ports, token and log level. */
  gatewayFlags: string;
  /** Node flags both servers (tradegate and the peer) run with. */
  nodeFlags: string;
  /** The version of the Node that runs the gateway (BENCH_GATEWAY_NODE), when it is not the bench's own. */
  gatewayNodeVersion: string | null;
}

const f = (n: number, d = 2) => n.toFixed(d);
/** An order count as the scale line names it: 10k, 1M. */
const count = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** What the sign-only server saw, and what its spread asks of a row's throughput to meet the p99 targets. */
function latencyFloorLine(floor: NonNullable<RunShape['latencyFloor']>, connections: number): string {
  const spread = floor.p99 / Math.max(floor.mean, 0.001);
  const needs = (p99Ms: number) => Math.ceil((connections * spread) / (p99Ms / 1000));
  return (
    ` Latency floor, same run: a Node server that only signs each answer (node:http, one async RSA-2048 sign, no database: \`bench/sign-only-server.ts\`) ` +
    `answered ${f(floor.throughput, 0)} req/s under the same load generator, mean ${f(floor.mean, 1)} ms, p99 ${f(floor.p99, 1)} ms: p99 ÷ mean ${f(spread)} ` +
    `(${floor.non2xx + floor.errors} errors). At that spread a p99 of 50 ms needs ${needs(50)} req/s, of 30 ms ${needs(30)}.`
  );
}

/** What the minimal servers saw, and tradegate's rows against them. */
function minimalLine(minimal: NonNullable<RunShape['minimal']>, ours: Record<MinimalOperation, Row | undefined>): string {
  const cpuOf = (cpu: Cpu) => `CPU ms/op server ${f(cpu.gateway, 3)}, PostgreSQL ${f(cpu.postgres, 3)}, loader ${f(cpu.loader, 3)}`;
  const figures = (name: MinimalOperation) => {
    const { load, cpu } = minimal[name];
    return (
      `${name} ${f(load.throughput, 0)} req/s, mean ${f(load.mean, 1)} ms, p99 ${f(load.p99, 1)} ms (p99 ÷ mean ${f(load.p99 / Math.max(load.mean, 0.001))}; ` +
      `${load.non2xx + load.errors} errors), ${cpuOf(cpu)}`
    );
  };
  const against = (name: MinimalOperation) => {
    const row = ours[name];
    if (!row) return `${name} not run`;
    const { load, cpu } = minimal[name];
    const times = (row.cpuMsPerOp.gateway + row.cpuMsPerOp.postgres) / Math.max(cpu.gateway + cpu.postgres, 0.001);
    return (
      `${name} ${row.throughput} req/s = ${f(row.throughput / Math.max(load.throughput, 1))}× the minimal, p99 ${f(row.p99, 1)} ms, ` +
      `gateway + PostgreSQL ${f(times)}× the minimal's CPU per operation`
    );
  };
  return (
    ` Minimal servers, same run: a Node server that does only what the protocol cannot skip (node:http; the request's RSA signature verified; its nonce ` +
    `written and its order read — a reverse's changed, with a history row — in one statement for the requests that arrive together, on 5 connections; one ` +
    `async RSA-2048 sign; no framework, log, refund or notification: \`bench/minimal-server.ts\`): ${figures('query')}; ${figures('reverse')}. ` +
    `tradegate on PostgreSQL: ${against('query')}; ${against('reverse')}.`
  );
}

/** What the paced rows are, and how far behind its schedule their load generator fell. */
function pacedLine(rows: Row[], connections: number): string {
  const paced = rows.filter((r) => r.sendLagP99 !== undefined);
  if (paced.length === 0) return '';
  return (
    ` The rows paced at 0.6 L are the targets' throughput offered on a fixed schedule over at most ${connections} connections (\`bench/paced-load.ts\`, ` +
    `undici; open loop: a request is due whether or not earlier answers came, and its latency counts from when it was due), the latency a client sees at ` +
    `that load; the load generator sent their requests late by at most ${paced.map((r) => `${f(r.sendLagP99 ?? 0, 1)} ms (${r.row.split(',')[0]} on ${r.backend})`).join(', ')} (p99).`
  );
}

/** A line under the table naming the rows whose pre-built requests ran out before the seconds asked, if any. */
function shortRows(rows: Row[], seconds: number): string[] {
  const short = rows.filter((r) => r.seconds < seconds - 0.2);
  if (short.length === 0) return [];
  return [
    '',
    `Measured for fewer than ${seconds} s (the row's pre-built requests ran out): ${short.map((r) => `${r.row} on ${r.backend} ${f(r.seconds, 1)} s`).join(', ')}.`,
  ];
}

/** The floor of one APIv3 reverse: a sign, a verify and one durable transaction, each at the machine's own cost. */
export const floorOf = (c: Ceilings) => c.S.signCpuMs + c.S.verifyCpuMs + c.D.cpuMsPerTx;

export function markdown(rows: Row[], pgC: Ceilings, liteC: Ceilings, scale: Record<string, number> | null, run: RunShape): string {
  const cores = availableParallelism();
  const pgRows = rows.filter((r) => r.backend === 'postgres');
  const ours = pgRows.find((r) => r.row === ROW.reverse);
  const peer = pgRows.find((r) => isPeerRow(r.row));
  const query = pgRows.find((r) => r.row === ROW.query);
  const lines = [
    `Run ${run.startedAt}: ${cores} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; ${run.connections} connections, ` +
      `${run.seconds} s per row after a ${run.warmupSeconds} s warm-up; tradegate started with \`${run.gatewayFlags}\`${run.gatewayFlags.includes('--v8-pretenuring') ? '' : ' (and its default `--v8-pretenuring off`)'}, it and the peer under \`node ${run.nodeFlags}\` (${run.gatewayNodeVersion ? `tradegate on Node ${run.gatewayNodeVersion}, the peer and the load generator on Node ${process.version}` : `Node ${process.version}`}); the load generator shares the cores; load average at start of each row in the last column.`,
    `The machine's ceilings, same run: S = ${f(pgC.S.signsPerSecond, 0)} RSA-2048 signs/s (\`openssl speed -multi ${cores} rsa2048\`; ${f(pgC.S.verifiesPerSecond, 0)} verifies/s); ` +
      `D = ${f(pgC.D.tps, 0)} tx/s PostgreSQL (\`pgbench -N -c 16 -j 2\`), ${f(liteC.D.tps, 0)} tx/s PGlite (in-process loop of the same statements); ` +
      `L = 1/(1/S + 1/D) = ${f(pgC.L, 0)} / ${f(liteC.L, 0)}.`,
    '',
    '| row | database | req/s | mean ms | p50 ms | p99 ms | errors | CPU ms/op gateway | PostgreSQL | loader | peak RSS MB | ratio | target | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.row} | ${r.backend} | ${r.throughput} | ${f(r.mean, 1)} | ${f(r.p50, 0)} | ${f(r.p99, 0)} | ${r.errors} | ${f(r.cpuMsPerOp.gateway)} | ` +
        `${r.backend === 'pglite' ? '(in gateway)' : f(r.cpuMsPerOp.postgres)} | ${f(r.cpuMsPerOp.loader)} | ${r.peakRssMb} | ${r.ratio} | ${r.target} | ${f(r.loadAverage)} |`,
    ),
    ...shortRows(rows, run.seconds),
    '',
    `Latency at ${run.connections} connections: each connection waits for its answer before it sends again, so the mean is ${run.connections} ÷ req/s ` +
      `(Little's law): a p99 of 50 ms needs more than ${Math.ceil(run.connections / 0.05)} req/s, of 30 ms more than ${Math.ceil(run.connections / 0.03)}, ` +
      `and p99 ÷ mean says how evenly the waiting is shared.` +
      pacedLine(rows, run.connections) +
      (run.latencyFloor ? latencyFloorLine(run.latencyFloor, run.connections) : '') +
      (run.minimal ? minimalLine(run.minimal, { query, reverse: ours }) : ''),
    `CPU floor per APIv3 reverse: one sign ${f(pgC.S.signCpuMs, 3)} + one verify ${f(pgC.S.verifyCpuMs, 3)} ms (node:crypto CPU time) + one database transaction ` +
      `${f(pgC.D.cpuMsPerTx, 3)} ms (PostgreSQL CPU per pgbench -N transaction, from /proc) = ${f(floorOf(pgC), 3)} ms; PGlite ${f(floorOf(liteC), 3)} ms.`,
  ];
  if (ours && peer) {
    const total = ours.cpuMsPerOp.gateway + ours.cpuMsPerOp.postgres;
    lines.push(
      `APIv3 reverse on PostgreSQL: gateway + PostgreSQL ${f(total, 3)} ms/op = ${f(total / floorOf(pgC))}× the floor (target ≤ ${TARGETS.overFloor}×); ` +
        `the peer ${f(peer.cpuMsPerOp.gateway + peer.cpuMsPerOp.postgres, 3)} ms/op. tradegate / peer = ${f(ours.throughput / Math.max(peer.throughput, 1))}× in throughput (target ≥ ${TARGETS.overPeer}×).`,
      `Scale-out on paper (load generator elsewhere, PostgreSQL on the same N cores): capacity ≈ N ÷ ${f(total, 3)} ms ≈ N × ${f(1000 / total, 0)} reverses/s; ` +
        `PostgreSQL alone ≈ N × ${f(1000 / Math.max(ours.cpuMsPerOp.postgres, 0.001), 0)}/s, the gateway alone ≈ N × ${f(1000 / Math.max(ours.cpuMsPerOp.gateway, 0.001), 0)}/s ` +
        `(gateway processes scale out; the database does not).`,
    );
  }
  if (scale) {
    lines.push(
      `Scale (PostgreSQL): query p50 ${f(scale.queryP50At10k, 1)} ms with ${count(scale.ordersSmall)} orders vs ${f(scale.queryP50At1M, 1)} ms with ${count(scale.ordersLarge)} (${f(scale.latencyRatio)}×, target ≤ ${TARGETS.scale}×; both databases read at once, a gateway on each sent ${Math.round(scale.queryRate)} queries/s on a fixed schedule, ${scale.scaleRounds} rounds, each figure their mean), ` +
        `CPU per query ${f(scale.gatewayCpuMsAt10k, 3)} vs ${f(scale.gatewayCpuMsAt1M, 3)} ms in the gateway, ${f(scale.postgresCpuMsAt10k, 3)} vs ${f(scale.postgresCpuMsAt1M, 3)} in PostgreSQL, ${f(scale.loaderCpuMsAt10k, 3)} vs ${f(scale.loaderCpuMsAt1M, 3)} in the load generator; ` +
        `query throughput ${Math.round(scale.oneProcess)} req/s with 1 process vs ${Math.round(scale.twoProcesses)} with 2 (${f(scale.processScaling)}×; read 1, 2, 2, 1, on the ${count(scale.ordersSmall)}-order database); ${scale.errors} errors.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
