/**
 * The load generator (bench/load.ts) measures after its warm-up: in a closed loop the warm-up ends early once a
 * quarter of the pre-built requests are used (they are good for one use each), but at a fixed rate it lasts its
 * time — bench:pair's warm-up of 20 s had been cut to 8.4 s at 400 requests/s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, startProcess, stopProcess } from '../../bench/harness.ts';

/** Runs the load generator; resolves with the seconds until it printed `measuring` and its result line. */
function load(url: string, requests: number, seconds: number, warmupSeconds: number, rate: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-load-'));
  const file = join(dir, 'requests.json');
  writeFileSync(file, JSON.stringify(new Array(requests).fill({ method: 'GET', path: '/', headers: {} })));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', file, url, String(seconds), '8', String(warmupSeconds), '', String(rate)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let measuringAt = Number.NaN;
  child.stdout.on('data', (d) => {
    out += d;
    if (Number.isNaN(measuringAt) && out.includes('measuring\n')) measuringAt = (performance.now() - started) / 1000;
  });
  return new Promise<{ measuringAt: number; result: { requests: number; errors: number; non2xx: number } }>((resolve) =>
    child.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ measuringAt, result: JSON.parse(out.trim().split('\n').pop() ?? '{}') });
    }),
  );
}

test('at a fixed rate the warm-up lasts its time; in a closed loop it ends once a quarter of the requests are used', async () => {
  const server = await startProcess(['--import', 'tsx', 'bench/sign-only-server.ts']);
  try {
    // 200/s for 2 s of warm-up and 1 s measured: 720 requests, a quarter of them used after ~0.9 s.
    const fixed = await load(server.url, 720, 1, 2, 200);
    assert.ok(fixed.measuringAt >= 2, `measured from ${fixed.measuringAt.toFixed(2)} s, after the 2 s warm-up`);
    assert.ok(fixed.result.requests > 100 && fixed.result.errors + fixed.result.non2xx === 0, JSON.stringify(fixed.result));
    // A closed loop at a few thousand answers a second uses a quarter of 2,000 requests well before 5 s.
    const closed = await load(server.url, 2000, 0.5, 5, 0);
    assert.ok(closed.measuringAt < 4, `measured from ${closed.measuringAt.toFixed(2)} s: the quarter ended the warm-up`);
  } finally {
    await stopProcess(server.child);
  }
});
