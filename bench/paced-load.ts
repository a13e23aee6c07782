/**
 * The paced load generator, run as its own process: sends pre-built requests (each used once) on a fixed schedule,
 * `rate` a second, over at most `connections` keep-alive connections, first for a warm-up, then for a fixed time,
 * and prints one JSON line about the measured part (the same shape as bench/load.ts), `measuring` between the two.
 *
 * Open loop: a request is due at its place in the schedule whether or not earlier answers came, and its latency
 * counts from that moment, so time spent waiting for a free connection or for this process to send it counts
 * against the server, never for it. autocannon cannot measure this: its `overallRate` lets each connection send
 * back-to-back until it has made its share of the second, then pause — a burst at full speed each second, whose
 * latencies are a saturated closed loop's. undici's Pool holds the connections and queues what none is free for.
 */
import { Pool } from 'undici';
import { loadArguments, printLoad, quantile, toTenth, traceAnswer, writeTrace } from './load-protocol.ts';

const { requests, url, seconds, connections, warmupSeconds, expected, rate: perSecond } = loadArguments();
if (!(perSecond > 0)) throw new Error('paced load needs a rate');
const warmupMs = warmupSeconds * 1000;
const measuredMs = seconds * 1000;
const intervalMs = 1000 / perSecond;
/** Requests due by `ms` into the schedule, counted in whole requests: a due time in floating point (start + i × interval) can fall a hair short of the warm-up's end. */
const dueWithin = (ms: number) => Math.ceil((ms * perSecond) / 1000);
/** The first request due in the measured part, and how many are due in all. */
const firstMeasured = dueWithin(warmupMs);
const total = dueWithin(warmupMs + measuredMs);
if (requests.length < total) throw new Error(`paced load: ${total} requests due at ${perSecond}/s, ${requests.length} pre-built`);

const pool = new Pool(new URL(url).origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
const measured = { latencies: [] as number[], lags: [] as number[], non2xx: 0, errors: 0, cpu: process.cpuUsage() };
let startedAt = 0;

/** Sends request `i`, due at `dueAt` (ms, performance clock); records it if it is due in the measured part. */
async function send(i: number, dueAt: number) {
  const inMeasured = i >= firstMeasured;
  const lag = performance.now() - dueAt;
  if (inMeasured) measured.lags.push(lag);
  const r = requests[i];
  try {
    const answer = await pool.request({ method: r.method as 'POST', path: r.path, headers: r.headers, body: r.body });
    const text = await answer.body.text();
    const latency = performance.now() - dueAt;
    // The warm-up's answers too, marked `w`: a queue left by the warm-up is drained at the measured part's start.
    // The third column: how late this process sent it (ms after its due time).
    traceAnswer(latency, lag.toFixed(2), ...(inMeasured ? [] : ['w']));
    if (!inMeasured) return;
    measured.latencies.push(latency);
    if (answer.statusCode < 200 || answer.statusCode > 299 || (expected && !expected.test(text))) measured.non2xx++;
  } catch {
    if (inMeasured) measured.errors++;
  }
}

const inFlight: Promise<void>[] = [];
let sent = 0;
let measuring = false;
/**
 * Sends every request due by now, then sleeps until the next is due. Node's timers fire at best each millisecond, so
 * at a few thousand a second several go out per turn; each one's latency still counts from its own due time.
 */
function pump() {
  const now = performance.now();
  if (!measuring && now - startedAt >= warmupMs) {
    measuring = true;
    measured.cpu = process.cpuUsage();
    process.stdout.write('measuring\n');
  }
  for (let due = startedAt + sent * intervalMs; sent < total && due <= now; due = startedAt + sent * intervalMs) inFlight.push(send(sent++, due));
  if (sent < total) setTimeout(pump, Math.max(0, startedAt + sent * intervalMs - performance.now()));
  else finish();
}

async function finish() {
  await Promise.all(inFlight);
  await pool.close();
  writeTrace();
  const cpu = process.cpuUsage(measured.cpu);
  printLoad(measured.latencies, measuredMs / 1000, {
    non2xx: measured.non2xx,
    errors: measured.errors,
    cpuMs: (cpu.user + cpu.system) / 1000,
    // How late this process sent its requests (ms after their due time): a reading whose own lag is large is the
    // load generator's, not the server's.
    sendLagP99: toTenth(
      quantile(
        measured.lags.sort((x, y) => x - y),
        0.99,
      ),
    ),
  });
}

/**
 * The connections, opened before the schedule starts: undici opens one when a request finds every other busy, and
 * Node accepts one a turn of its event loop, so at 2,000 requests a second the first ones queued behind up to 64
 * set-ups on a loaded gateway — a start-up the row would measure, not the load (autocannon's closed loop has its
 * connections before it measures too).
 */
await Promise.all(Array.from({ length: connections }, () => pool.request({ method: 'GET', path: '/healthz' }).then((r) => r.body.dump())));
startedAt = performance.now();
pump();
