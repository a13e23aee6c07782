/**
 * The load generator (bench/load.ts) measures after its warm-up: in a closed loop the warm-up ends early once a
 * quarter of the pre-built requests are used (they are good for one use each), but at a fixed rate it lasts its
 * time — bench:pair's warm-up of 20 s had been cut to 8.4 s at 400 requests/s. The paced one (bench/paced-load.ts)
 * sends on its schedule and counts each latency from the request's due time.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CLOSED_LOOP, drive, startProcess, stopProcess } from '../../bench/harness.ts';
import type { Prebuilt } from '../../bench/requests.ts';

/** Drives the load generator (through the bench's own `drive`); resolves with the seconds until it began measuring and its result. */
async function load(
  url: string,
  requests: number,
  seconds: number,
  warmupSeconds: number,
  rate: number,
  pace = rate ? ({ loop: 'quota', perSecond: rate } as const) : CLOSED_LOOP,
  connections = 8,
) {
  const request: Prebuilt = { method: 'GET', path: '/', headers: {} };
  const started = performance.now();
  let measuringAt = Number.NaN;
  const result = await drive(
    url,
    new Array(requests).fill(request),
    connections,
    seconds,
    '',
    () => {
      measuringAt = (performance.now() - started) / 1000;
    },
    pace,
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
    // A closed loop at a few thousand answers a second uses a quarter of 2,000 requests in well under a second. The
    // time counts the load generator's own start too (tsx compiling it), which took 4.4 s in a CI run with the other
    // suites busy: so a warm-up of 15 s, which only a generator that ignored the quarter would sit out.
    const closed = await load(server.url, 2000, 0.5, 15, 0);
    assert.ok(closed.measuringAt < 12, `measured from ${closed.measuringAt.toFixed(2)} s: the quarter ended the warm-up`);
  } finally {
    await stopProcess(server.child);
  }
});

test('paced: every request due in the measured part is sent on time, and its latency counts from when it was due', async () => {
  const server = await startProcess(['--import', 'tsx', 'bench/sign-only-server.ts']);
  try {
    // 200/s: 1 s of warm-up and 1 s measured are 400 requests, 200 of them due in the measured second.
    const paced = await load(server.url, 401, 1, 1, 200, { loop: 'paced', perSecond: 200 });
    assert.ok(paced.measuringAt >= 1, `measured from ${paced.measuringAt.toFixed(2)} s, after the 1 s warm-up`);
    const { requests, throughput, errors, non2xx, sendLagP99 } = paced.result;
    assert.deepEqual({ requests, throughput, failed: errors + non2xx }, { requests: 200, throughput: 200, failed: 0 });
    assert.ok(sendLagP99 !== undefined && sendLagP99 >= 0, `the load generator's own lag is reported: ${sendLagP99}`);
  } finally {
    await stopProcess(server.child);
  }
});

test('paced: a server slower than the schedule is charged the queue it builds, not only its own 20 ms', async () => {
  // One connection, an answer 20 ms after each request, a request due every 10 ms: the queue grows by 10 ms a request.
  // A closed loop (or autocannon's quota) would read ~20 ms; the requests due in the measured second waited 1–2 s.
  const slow = createServer((_req, res) => setTimeout(() => res.end('ok'), 20));
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
    const { result } = await load(url, 201, 1, 1, 100, { loop: 'paced', perSecond: 100 }, 1);
    assert.equal(result.requests, 100);
    assert.ok(result.p50 > 500, `p50 ${result.p50} ms counts the wait for the one connection`);
  } finally {
    slow.close();
  }
});

test('paced: its connections are open before the first request is due, so their set-up is not in the row', async () => {
  let accepted = 0;
  let atFirstRequest = -1;
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok');
    if (atFirstRequest < 0) atFirstRequest = accepted;
    res.end('ok');
  });
  server.on('connection', () => accepted++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await load(url, 101, 0.5, 0.5, 100, { loop: 'paced', perSecond: 100 }, 6);
    assert.equal(atFirstRequest, 6, 'all six connections were accepted before the first scheduled request arrived');
  } finally {
    server.close();
  }
});
