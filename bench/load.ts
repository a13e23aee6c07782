/**
 * The load generator, run as its own process: replays pre-built requests (each used once: every APIv3 request
 * has its own nonce) with autocannon at a fixed connection count, first for a warm-up that is not measured, then
 * for a fixed time, and prints one JSON line. Between the two it prints `measuring` (the bench starts its CPU
 * meters then).
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

interface Prebuilt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const [file, url, seconds, connections, warmupSeconds, expectBody] = process.argv.slice(2);
// A dialect that answers refusals with HTTP 200 (APIv2) must show success in the body; anything else is an error.
const expected = expectBody ? new RegExp(expectBody) : null;
const requests = JSON.parse(readFileSync(file, 'utf8')) as Prebuilt[];
let next = 0;

/** Load at the fixed connection count for `seconds`, or until `amount` requests are answered. */
async function fire(seconds: number, amount: number): Promise<autocannon.Result> {
  // autocannon stops only on its sampling tick, so the tick is 100 ms: the measured duration is then within 0.1 s
  // of the real one.
  const instance = autocannon({
    url,
    connections: Number(connections),
    amount,
    sampleInt: 100,
    ...(expected ? { verifyBody: (body: string) => expected.test(body) } : {}),
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const r = requests[next++];
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
        },
      },
    ],
  } as never) as unknown as Promise<autocannon.Result> & { stop(): void };
  const timer = setTimeout(() => instance.stop(), seconds * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(timer);
  }
}

// The warm-up: a server's first second under load is its JIT compiling, its pool connecting and its caches filling
// (p99.9 ≈ 0.5 s here); the rows measure the steady state a gateway spends its life in.
if (Number(warmupSeconds) > 0) {
  // Each pre-built request is good for one use: the warm-up takes at most a quarter of them.
  await fire(Number(warmupSeconds), Math.floor(requests.length / 4));
  // The warm-up's last requests were cut off in flight: let the server finish them before the meters start.
  await new Promise((resolve) => setTimeout(resolve, 250));
}
process.stdout.write('measuring\n');
// The generator's own CPU for the timed part (the request file is already parsed): its share of the machine.
const cpu0 = process.cpuUsage();
const r = await fire(Number(seconds), requests.length - next);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    requests: r.requests.total,
    durationSeconds: r.duration,
    throughput: r.requests.total / r.duration,
    mean: r.latency.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts + r.mismatches,
    statusCodes: r.statusCodeStats,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
