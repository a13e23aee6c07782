/**
 * The load generator, run as its own process: replays pre-built requests (each used once: every APIv3 request
 * has its own nonce) with autocannon at a fixed connection count for a fixed time, then prints one JSON line.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

interface Prebuilt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const [file, url, seconds, connections, expectBody] = process.argv.slice(2);
// A dialect that answers refusals with HTTP 200 (APIv2) must show success in the body; anything else is an error.
const expected = expectBody ? new RegExp(expectBody) : null;
const requests = JSON.parse(readFileSync(file, 'utf8')) as Prebuilt[];
let next = 0;

// A fixed time, unless the pre-built requests run out first (each is good for one use). autocannon stops only on
// its sampling tick, so the tick is 100 ms: the measured duration is then within 0.1 s of the real one.
// The generator's own CPU for the timed part (the request file is already parsed): its share of the machine.
const cpu0 = process.cpuUsage();
const instance = autocannon({
  url,
  connections: Number(connections),
  amount: requests.length,
  sampleInt: 100,
  ...(expected ? { verifyBody: (body: string) => expected.test(body) } : {}),
  requests: [
    {
      setupRequest: (req: Record<string, unknown>) => {
        const r = requests[next++ % requests.length];
        return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
      },
    },
  ],
} as never) as unknown as Promise<unknown> & { stop(): void };
const timer = setTimeout(() => instance.stop(), Number(seconds) * 1000);
const result = await instance;
clearTimeout(timer);

const cpu = process.cpuUsage(cpu0);
const r = result as autocannon.Result;
process.stdout.write(
  `${JSON.stringify({
    requests: r.requests.total,
    durationSeconds: r.duration,
    throughput: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts + r.mismatches,
    statusCodes: r.statusCodeStats,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
