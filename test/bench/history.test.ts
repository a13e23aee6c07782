/** docs/performance.md's table of every full run: what bench/results/ holds, each run judged against the targets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRunHistory, runLine, storedRuns, withRunHistory, writeRunHistory, type StoredRun } from '../../bench/history.ts';

const results = fileURLToPath(new URL('../../bench/results', import.meta.url));
const performanceDoc = () => readFileSync(new URL('../../docs/performance.md', import.meta.url), 'utf8');

test('the committed table of every run is the one bench/results/ gives (`npm run docs` rewrites it)', () => {
  const runs = storedRuns(results);
  assert.ok(runs.length > 0);
  assert.equal(performanceDoc(), withRunHistory(performanceDoc(), renderRunHistory(runs)));
});

const cpu = (gateway: number, postgres: number) => ({ gateway, postgres, loader: 0.04 });
/** A run that meets every target; each test below breaks one. */
function passing(): StoredRun {
  return {
    startedAt: '2026-12-07T14:24:12.000Z',
    // floor = 0.25 + 0.125 + 0.125 = 0.5 ms (exact in binary, so that 1.7× is exactly the boundary)
    machineCeilings: {
      postgres: {
        S: { signsPerSecond: 8000, verifiesPerSecond: 140000, signCpuMs: 0.25, verifyCpuMs: 0.125 },
        D: { tps: 7000, cpuMsPerTx: 0.125 },
        L: 3733,
      },
    },
    latencyFloor: { p99: 19.1 },
    minimal: { query: { load: { p99: 25.2 } }, reverse: { load: { p99: 26.4 } } },
    rows: [
      { row: 'APIv3 reverse (paid → refund)', backend: 'postgres', throughput: 3000, p99: 50, peakRssMb: 250, ratio: '0.60 L', cpuMsPerOp: cpu(0.6, 0.25) },
      { row: 'peer: plain APIv3 reverse', backend: 'postgres', throughput: 2000, p99: 60, peakRssMb: 400, ratio: '0.54 L', cpuMsPerOp: cpu(0.5, 0.3) },
      { row: 'APIv3 query', backend: 'postgres', throughput: 4000, p99: 30, peakRssMb: 128, ratio: '0.60 L', cpuMsPerOp: cpu(0.3, 0.05) },
      { row: 'APIv2 reverse (HMAC)', backend: 'postgres', throughput: 2800, p99: 20, peakRssMb: 131, ratio: '0.40 D', cpuMsPerOp: cpu(0.1, 0.1) },
      // PGlite's rows hold the database in the gateway: their RSS is not the target's.
      { row: 'APIv3 query', backend: 'pglite', throughput: 100, p99: 900, peakRssMb: 320, ratio: '0.05 L', cpuMsPerOp: cpu(1, 0) },
    ],
    scale: { latencyRatio: 1.2 },
  };
}
const change = (edit: (run: StoredRun) => void) => {
  const run = passing();
  edit(run);
  return runLine(run).missed;
};
const rowOf = (run: StoredRun, name: string) => {
  const row = run.rows.find((r) => r.row === name && r.backend === 'postgres');
  assert.ok(row);
  return row;
};

test('a run at every target, to the boundary, misses none, and its line reads as the report does', () => {
  const { cells, missed } = runLine(passing());
  assert.deepEqual(missed, []);
  assert.deepEqual(cells, [
    '2026-12-07 14:24',
    '8,000',
    '7,000',
    '3,733',
    '3,000, 0.60 L, 50.0',
    '4,000, 0.60 L, 30.0',
    '0.40 D',
    '1.50×',
    '1.70×',
    '1.20×',
    '250',
    '19.1',
    '25.2, 26.4',
    'none',
  ]);
});

test('each target, just missed, is named', () => {
  const reverse = (r: StoredRun) => rowOf(r, 'APIv3 reverse (paid → refund)');
  const query = (r: StoredRun) => rowOf(r, 'APIv3 query');
  const justMissed: [string, (r: StoredRun) => void][] = [
    ['reverse p99', (r) => Object.assign(reverse(r), { p99: 50.1 })],
    ['reverse L', (r) => Object.assign(reverse(r), { ratio: '0.59 L' })],
    ['query p99', (r) => Object.assign(query(r), { p99: 30.1 })],
    ['query L', (r) => Object.assign(query(r), { ratio: '0.59 L' })],
    ['APIv2 D', (r) => Object.assign(rowOf(r, 'APIv2 reverse (HMAC)'), { ratio: '0.39 D' })],
    ['peer', (r) => Object.assign(rowOf(r, 'peer: plain APIv3 reverse'), { throughput: 2001 })],
    ['floor', (r) => Object.assign(reverse(r).cpuMsPerOp, { postgres: 0.26 })],
    ['scale', (r) => Object.assign(r, { scale: { latencyRatio: 1.21 } })],
    ['RSS', (r) => Object.assign(query(r), { peakRssMb: 251 })],
  ];
  for (const [target, edit] of justMissed) assert.deepEqual(change(edit), [target], target);
});

test('a row or line the run lacks counts as missed, not met', () => {
  assert.deepEqual(
    change((r) => {
      r.rows = r.rows.filter((row) => !row.row.startsWith('peer'));
    }),
    ['peer'],
  );
  assert.deepEqual(
    change((r) => {
      r.scale = null;
    }),
    ['scale'],
  );
  assert.equal(runLine({ ...passing(), scale: null }).cells[9], '–');
  const { cells } = runLine({ ...passing(), latencyFloor: null, minimal: null });
  assert.deepEqual(cells.slice(11, 13), ['–', '–, –']);
});

test("the minimal servers' p99 is read in each shape the results kept it", () => {
  const cell = (kept: Partial<StoredRun>) => runLine({ ...passing(), ...kept }).cells[12];
  assert.equal(cell({ minimal: null, minimalQuery: { p99: 38.8 } }), '38.8, –');
  assert.equal(cell({ minimal: { query: { p99: 41.9 }, reverse: { p99: 40.1 } } }), '41.9, 40.1');
});

test('the closing line counts the runs that met everything, and each p99', () => {
  const late = passing();
  rowOf(late, 'APIv3 query').p99 = 31;
  const table = renderRunHistory([passing(), late]);
  assert.match(table, /\n2 runs; every target met in 1\. Met: reverse p99 in 2, query p99 in 1,/);
  assert.equal(table.split('\n').filter((line) => line.startsWith('| 2026-12-07 14:24 |')).length, 2);
});

test('the table goes between the markers, replacing what was there, and nowhere without them', () => {
  const doc = 'before\n<!-- runs:start -->\nold\n<!-- runs:end -->\nafter\n';
  assert.equal(withRunHistory(doc, 'new'), 'before\n<!-- runs:start -->\nnew\n<!-- runs:end -->\nafter\n');
  assert.throws(() => withRunHistory('no markers', 'new'), /no <!-- runs:start -->/);
});

test("a full run's rewrite reads every day's file in date order, skips runs without the machine's ceilings, and keeps the rest of the document", () => {
  const root = mkdtempSync(join(tmpdir(), 'tg-history-'));
  try {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    mkdirSync(join(root, 'docs'));
    const at = (startedAt: string) => ({ ...passing(), startedAt });
    writeFileSync(join(root, 'bench/results/2026-12-07.json'), JSON.stringify({ date: '2026-12-07', runs: [at('2026-12-07T09:00:00.000Z')] }));
    const older = { date: '2026-12-06', runs: [at('2026-12-06T09:00:00.000Z'), { startedAt: '2026-12-06T10:00:00.000Z', rows: [] }] };
    writeFileSync(join(root, 'bench/results/2026-12-06.json'), JSON.stringify(older));
    writeFileSync(join(root, 'bench/results/2026-12-06.md'), 'not a run');
    writeFileSync(join(root, 'docs/performance.md'), '# Performance\n<!-- runs:start -->\nold\n<!-- runs:end -->\nafter\n');
    assert.equal(writeRunHistory(root), 2);
    const doc = readFileSync(join(root, 'docs/performance.md'), 'utf8');
    assert.ok(doc.startsWith('# Performance\n<!-- runs:start -->\n| run (UTC) |') && doc.endsWith('<!-- runs:end -->\nafter\n'));
    assert.ok(doc.indexOf('| 2026-12-06 09:00 |') < doc.indexOf('| 2026-12-07 09:00 |'));
    assert.doesNotMatch(doc, /2026-12-06 10:00|\nold\n/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
