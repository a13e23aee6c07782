/**
 * `npm run bench:pair` in a short run: two gateways loaded at once at a fixed rate, each on its own database, and
 * the CPU of each read apart. What a user sees: one table row per variant with CPU read for the gateway and for its
 * own database's backends, both variants served at the rate offered without an error, and per-round ratios whose
 * mean is printed with an interval that contains it (the second variant carries a node flag, which reaches its
 * gateway's process rather than `tradegate start`). It asserts no speed.
 *
 * Needs the PostgreSQL server (TEST_DATABASE_URL); skipped with a notice elsewhere. ~30 s on 2 cores.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { TEST_DATABASE_URL } from '../helpers/database.ts';

const ROOT = join(import.meta.dirname, '../..');
const skip = TEST_DATABASE_URL ? false : 'the paired bench needs the PostgreSQL server (TEST_DATABASE_URL)';

test('bench:pair measures two variants at once: both rows, CPU apart, ratios with their interval', { skip, timeout: 180_000 }, () => {
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/pair.ts',
      '--rounds',
      '2',
      '--seconds',
      '2',
      '--warmup',
      '1',
      '--rate',
      '150',
      'on=',
      'off=--request-log-rows 0 node:--v8-pool-size=1',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 170_000, env: { ...process.env, BENCH_QUICK: '1', BENCH_DATABASE_URL: TEST_DATABASE_URL } },
  );
  assert.equal(run.status, 0, `bench:pair exited ${run.status}: ${run.stderr.slice(-3000)}`);
  const out = run.stdout;
  assert.match(out, /2 rounds of APIv3 reverse, 2 s each after 1 s of warm-up, two gateways at once \(32 connections each, 150 requests\/s offered to each\)/);
  for (const label of ['on', 'off']) {
    const row = new RegExp(`^\\| ${label} \\| ([\\d.]+) \\| ([\\d.]+) \\| ([\\d.]+) \\| (\\d+) \\| (\\d+) \\|$`, 'm').exec(out);
    assert.ok(row, `a row for ${label} in:\n${out}`);
    const [total, gateway, postgres, rate, errors] = row.slice(1).map(Number);
    assert.ok(gateway > 0 && postgres > 0, `${label}: the gateway's and its database's CPU are read (${gateway}, ${postgres})`);
    assert.ok(Math.abs(total - (gateway + postgres)) <= 0.002, `${label}: the total is the sum of its parts`);
    // The rate is a ceiling (a closed loop of 32 connections would serve several times more), and it is served
    // roughly even beside another test file on 2 cores.
    assert.ok(rate > 50 && rate < 200, `${label}: served ${rate}/s of 150 offered`);
    assert.equal(errors, 0, `${label}: every answer a success`);
  }
  const ratios = /per round: ([\d.]+), ([\d.]+)\n/.exec(out);
  assert.ok(ratios, out);
  const mean = (Number(ratios[1]) + Number(ratios[2])) / 2;
  const summary = /mean ([+-][\d.]+) %, 95 % interval ([+-][\d.]+) % to ([+-][\d.]+) %/.exec(out);
  assert.ok(summary, out);
  const [shown, low, high] = summary.slice(1).map(Number);
  assert.ok(Math.abs(shown - (mean - 1) * 100) <= 0.11, `the printed mean ${shown} % is the rounds' mean ${((mean - 1) * 100).toFixed(2)} %`);
  assert.ok(low <= shown && shown <= high, `the interval ${low}..${high} holds the mean ${shown}`);
});
