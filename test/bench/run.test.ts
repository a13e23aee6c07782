/**
 * `npm run bench` end to end in its smoke mode (BENCH_QUICK=1: every count shrunk, 1 s rows): the instrument that
 * performance is judged by keeps working — the machine's ceilings are read from `openssl speed` and `pgbench`, every
 * row of both databases, the plain peer and the minimal servers answer without an error, the meters read CPU and memory, and the
 * printed ratios are the printed figures' own. It asserts no speed: the bench measures, tests do not time.
 *
 * Needs the PostgreSQL server (TEST_DATABASE_URL) and its `pgbench`; mandatory when CI=true (the PostgreSQL pass),
 * skipped with a notice elsewhere when either is missing. 92 s alone on a slow 2-core machine of 2026-12-04 (76 s there
 * before the minimal servers were added; 36 s alone on faster ones).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Row } from '../../bench/report.ts';
import { TEST_DATABASE_URL } from '../helpers/database.ts';

const ROOT = join(import.meta.dirname, '../..');
const pgbenchMissing = spawnSync('pgbench', ['--version']).status !== 0;
const skip = !TEST_DATABASE_URL
  ? 'the bench needs the PostgreSQL server (TEST_DATABASE_URL)'
  : pgbenchMissing && process.env.CI !== 'true'
    ? 'pgbench is not installed (Debian: postgresql-contrib or the server package)'
    : false;
if (skip && TEST_DATABASE_URL) process.stderr.write(`NOTICE: bench smoke run skipped: ${skip}\n`);

/** The number the bench printed where `pattern`'s group stands. */
function figure(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  assert.ok(m, `the bench printed ${pattern}`);
  return Number(m[1]);
}

test('the bench runs end to end: ceilings, every row without errors, meters, ratios of its own figures', { skip, timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-bench-smoke-'));
  const results = join(ROOT, 'bench/results');
  const listing = () => readdirSync(results).map((f) => `${f} ${statSync(join(results, f)).mtimeMs}`);
  const before = listing();
  try {
    const rowsFile = join(dir, 'rows.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 280_000,
      env: {
        ...process.env,
        BENCH_QUICK: '1',
        BENCH_SECONDS: '1',
        BENCH_WARMUP_SECONDS: '1',
        BENCH_DATABASE_URL: TEST_DATABASE_URL,
        BENCH_ROWS_JSON: rowsFile,
        // Its temporary files and directories (PGlite's data directory among them) go here, to be counted after it.
        TMPDIR: dir,
      },
    });
    assert.equal(run.status, 0, `the bench exited ${run.status}: ${run.stderr.slice(-3000)}`);
    // Nothing the bench made is left there (tsx, which runs it, keeps its compile cache in the temporary directory).
    const left = readdirSync(dir).filter((name) => !name.startsWith('tsx-'));
    assert.deepEqual(left, ['rows.json'], 'the bench removed what it made in the temporary directory');
    const out = run.stdout;
    const rows = JSON.parse(readFileSync(rowsFile, 'utf8')) as Row[];

    const names = rows.map((r) => `${r.backend}: ${r.row}`);
    assert.deepEqual(names, [
      'postgres: APIv3 reverse (paid → refund)',
      'postgres: peer: plain APIv3 reverse',
      'postgres: APIv3 query',
      'postgres: APIv3 close',
      'postgres: APIv2 reverse (HMAC)',
      'postgres: APIv3 reverse, paced at 0.6 L',
      'postgres: APIv3 query, paced at 0.6 L',
      'pglite: APIv3 reverse (paid → refund)',
      'pglite: APIv3 query',
      'pglite: APIv3 close',
      'pglite: APIv2 reverse (HMAC)',
      'pglite: APIv3 reverse, paced at 0.6 L',
      'pglite: APIv3 query, paced at 0.6 L',
    ]);
    for (const r of rows) {
      const what = `${r.backend}: ${r.row}`;
      assert.equal(r.errors, 0, `${what}: every answer a success`);
      assert.ok(r.throughput > 0 && r.p50 > 0 && r.p99 >= r.p50 && r.mean > 0, `${what}: latencies ${JSON.stringify(r)}`);
      assert.ok(r.cpuMsPerOp.gateway > 0 && r.cpuMsPerOp.loader > 0, `${what}: the server's and the loader's CPU are read`);
      assert.ok(r.backend === 'pglite' ? r.cpuMsPerOp.postgres === 0 : r.cpuMsPerOp.postgres > 0, `${what}: PostgreSQL's CPU where it runs`);
      assert.ok(r.peakRssMb > 20, `${what}: peak RSS ${r.peakRssMb} MB`);
      assert.ok(out.includes(`| ${r.row} | ${r.backend} | ${r.throughput} |`), `${what}: in the printed table`);
      // Measured seconds: at most the 1 s asked (autocannon stops on its 100 ms tick); fewer, and named under the
      // table, when the row's pre-built requests ran out (a smoke run's 500 last a fraction of a second).
      assert.ok(r.seconds > 0 && r.seconds <= 1.2, `${what}: measured ${r.seconds} s`);
      const named = out.includes(`${r.row} on ${r.backend} ${r.seconds.toFixed(1)} s`);
      assert.equal(named, r.seconds < 0.8, `${what}: ${r.seconds} s, ${named ? '' : 'not '}named as measured for fewer than 1 s`);
      // A paced row (a smoke run's at 200/s) answered every request due in its measured second, and its load
      // generator's lag is printed under the table.
      if (r.row.includes('paced')) {
        assert.equal(r.throughput, 200, `${what}: 200 requests due in its second`);
        assert.ok(out.includes(`ms (${r.row.split(',')[0]} on ${r.backend})`), `${what}: its load generator's lag is printed`);
      }
    }

    // The header says what the servers ran under: V8's settings (a runtime's, not the code's) and Node's version,
    // whose V8 sizes the young generation by itself from Node 24 on.
    const version = process.version.replaceAll('.', '\\.');
    assert.match(out, new RegExp(`under \`node --v8-pool-size=\\d --max-semi-space-size=16\` \\(Node ${version}\\)`));
    assert.match(out, /tradegate started with `--cpu-scheduling batch` \(and its default `--v8-pretenuring off`\)/);

    // The machine's ceilings come from the tools, and every ratio is the printed figures' own.
    const S = figure(out, /S = (\d+) RSA-2048 signs\/s \(`openssl speed/);
    const Dpg = figure(out, /D = (\d+) tx\/s PostgreSQL \(`pgbench -N/);
    const Dlite = figure(out, /, (\d+) tx\/s PGlite \(in-process loop/);
    const [Lpg, Llite] = (/L = 1\/\(1\/S \+ 1\/D\) = (\d+) \/ (\d+)\./.exec(out) ?? []).slice(1).map(Number);
    assert.ok(S > 0 && Dpg > 0 && Dlite > 0 && Lpg > 0 && Llite > 0, 'ceilings measured');
    assert.ok(Math.abs(Lpg - 1 / (1 / S + 1 / Dpg)) <= 1, `L from S and D: ${Lpg}`);
    const ratio = (r: Row) => Number(r.ratio.split(' ')[0]);
    for (const r of rows) {
      const pgRow = r.backend === 'postgres';
      const [ceiling, unit] = r.row.startsWith('APIv2') ? [pgRow ? Dpg : Dlite, 'D'] : [pgRow ? Lpg : Llite, 'L'];
      assert.ok(r.ratio.endsWith(` ${unit}`), `${r.row}: ${r.ratio}`);
      // The figures are printed rounded: the ratio to 2 decimals, the ceiling and the throughput to whole numbers. A
      // small ceiling (PGlite's in a smoke run on a busy machine: 146 tx/s) makes their rounding count.
      const slack = 0.011 + (0.5 + (0.5 * r.throughput) / ceiling) / ceiling;
      assert.ok(Math.abs(ratio(r) - r.throughput / ceiling) <= slack, `${r.backend}: ${r.row}: ${r.ratio} of ${ceiling}`);
    }
    const floor = figure(out, /CPU floor per APIv3 reverse: .* = ([\d.]+) ms; PGlite/);
    const total = figure(out, /gateway \+ PostgreSQL ([\d.]+) ms\/op = /);
    const times = figure(out, /ms\/op = ([\d.]+)× the floor/);
    assert.ok(Math.abs(times - total / floor) <= 0.011, `${times}× = ${total} / ${floor}`);
    const ours = rows[0] as Row;
    assert.ok(Math.abs(total - (ours.cpuMsPerOp.gateway + ours.cpuMsPerOp.postgres)) <= 0.001, 'the floor comparison is the reverse row’s CPU');
    // The scale section names the counts it compared (a smoke run's are small) and had no errors.
    assert.match(out, /Scale \(PostgreSQL\): query p50 [\d.]+ ms with 1k orders vs [\d.]+ ms with 11k \(/);
    assert.match(out, /both databases read at once, a gateway on each sent 100 queries\/s on a fixed schedule, 4 rounds, each figure their mean\)/);
    assert.match(out, /with 2 \([\d.]+×; read 1, 2, 2, 1, on the 1k-order database\); 0 errors\./);
    // The latency floor: the sign-only server answered without an error, and its spread is its figures' own.
    const floorMean = figure(out, /a Node server that only signs each answer .* req\/s under the same load generator, mean ([\d.]+) ms/);
    const floorP99 = figure(out, /under the same load generator, mean [\d.]+ ms, p99 ([\d.]+) ms/);
    const spread = figure(out, /ms: p99 ÷ mean ([\d.]+) \(0 errors\)\./);
    assert.ok(floorMean > 0 && Math.abs(spread - floorP99 / floorMean) <= 0.011, `${spread} = ${floorP99} / ${floorMean}`);
    // The minimal servers answered every request as asked, and tradegate's rows are read against their figures.
    for (const [name, row] of [
      ['query', 'APIv3 query'],
      ['reverse', 'APIv3 reverse (paid → refund)'],
    ]) {
      const minimal = new RegExp(
        `\`bench/minimal-server\\.ts\`\\): .*?${name} ([\\d.]+) req/s, mean [\\d.]+ ms, p99 [\\d.]+ ms \\(p99 ÷ mean [\\d.]+; 0 errors\\), ` +
          'CPU ms/op server (\\d+\\.\\d+), PostgreSQL (\\d+\\.\\d+), loader (\\d+\\.\\d+)',
      ).exec(out);
      const against = new RegExp(
        `tradegate on PostgreSQL: .*?${name} (\\d+) req/s = ([\\d.]+)× the minimal, p99 ([\\d.]+) ms, gateway \\+ PostgreSQL ([\\d.]+)× the minimal's CPU`,
      ).exec(out);
      assert.ok(minimal && against, `the minimal ${name}, without errors, and tradegate's against it`);
      const [rate, server, postgres, loader] = minimal.slice(1).map(Number);
      assert.ok(rate > 0 && server > 0 && postgres > 0 && loader > 0, `the minimal ${name}'s CPU is read: ${minimal[0]}`);
      const ours = rows.find((r) => r.backend === 'postgres' && r.row === row) as Row;
      assert.deepEqual([Number(against[1]), Number(against[3])], [ours.throughput, ours.p99]);
      assert.ok(Math.abs(Number(against[2]) - ours.throughput / rate) <= 0.011, `${against[2]}× = ${ours.throughput} / ${rate}`);
      const cpu = (ours.cpuMsPerOp.gateway + ours.cpuMsPerOp.postgres) / (server + postgres);
      assert.ok(Math.abs(Number(against[4]) - cpu) <= 0.01 * cpu + 0.006, `${against[4]}× = ${JSON.stringify(ours.cpuMsPerOp)} over ${server} + ${postgres}`);
    }
    // The CPU per query of every process is printed for both sizes, the load generators' too (each size has its own).
    const loader = out.match(/, (\d\.\d{3}) vs (\d\.\d{3}) in the load generator; query throughput/);
    assert.ok(loader && Number(loader[1]) > 0 && Number(loader[2]) > 0, 'the loader’s CPU per query at both sizes');
    // A smoke run keeps nothing: bench/results/ holds full runs only.
    assert.deepEqual(listing(), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
