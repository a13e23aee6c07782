/**
 * The load generator (bench/load.ts) measures after its warm-up: in a closed loop the warm-up ends early once a
 * quarter of the pre-built requests are used (they are good for one use each), but at a fixed rate it lasts its
 * time — bench:pair's warm-up of 20 s had been cut to 8.4 s at 400 requests/s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drive, startProcess, stopProcess } from '../../bench/harness.ts';
import type { Prebuilt } from '../../bench/requests.ts';

/** Drives the load generator (through the bench's own `drive`); resolves with the seconds until it began measuring and its result. */
async function load(url: string, requests: number, seconds: number, warmupSeconds: number, rate: number) {
  const request: Prebuilt = { method: 'GET', path: '/', headers: {} };
  const started = performance.now();
  let measuringAt = Number.NaN;
  const result = await drive(
    url,
    new Array(requests).fill(request),
    8,
    seconds,
    '',
    () => {
      measuringAt = (performance.now() - started) / 1000;
    },
    rate,
    warmupSeconds,
  );
  return { measuringAt, result };
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
