/**
 * The load generator, run as its own process: replays pre-built requests (each used once: every APIv3 request
 * has its own nonce) with autocannon at a fixed connection count, first for a warm-up, then for a fixed time,
 * and prints one JSON line about the measured part. Between the two it prints `measuring` (the bench starts its
 * CPU meters then).
 *
 * One autocannon run covers both parts, on the same connections: the rows measure requests, not connection
 * set-up. (Node accepts one new connection per turn of its event loop — libuv 1.45 and later — so 64 fresh
 * connections to a loaded gateway wait up to 64 turns for their first answer: ~0.5 s on PostgreSQL, ~4 s on PGlite.)
 */
import autocannon from 'autocannon';
import { loadArguments, printLoad, traceAnswer, tracing, writeTrace } from './load-protocol.ts';

const { requests, url, seconds, connections, warmupSeconds, expected, rate: fixedRate } = loadArguments();
let next = 0;

// autocannon stops only on its sampling tick, so the tick is 100 ms: the run ends within 0.1 s of the timer.
const instance = autocannon({
  url,
  connections,
  amount: requests.length,
  sampleInt: 100,
  ...(fixedRate ? { overallRate: fixedRate } : {}),
  ...(expected ? { verifyBody: (body: string) => expected.test(body) } : {}),
  requests: [
    {
      setupRequest: (req: Record<string, unknown>) => {
        const r = requests[next++];
        return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
      },
    },
  ],
} as never) as unknown as Promise<autocannon.Result> & NodeJS.EventEmitter & { stop(): void };

/** What the measured part saw: answers' latencies (ms), refusals and errors. */
const measured = { latencies: [] as number[], non2xx: 0, errors: 0, startedAt: 0, cpu: process.cpuUsage() };
let measuring = false;
let warmupAnswers = 0;
let end: NodeJS.Timeout | undefined;
function startMeasuring() {
  if (measuring) return;
  measuring = true;
  measured.startedAt = performance.now();
  // The generator's own CPU for the measured part: its share of the machine.
  measured.cpu = process.cpuUsage();
  process.stdout.write('measuring\n');
  // The measured part lasts `seconds` from the end of the warm-up, whichever way it ended.
  end = setTimeout(() => instance.stop(), seconds * 1000);
}
/** Each connection's number in the order of its first answer, for the trace: are the slow answers some connections'? */
const connectionOf = new WeakMap<object, number>();
let connectionsSeen = 0;
instance.on('response', (client: object, statusCode: number, _bytes: number, responseTime: number) => {
  // Each pre-built request is good for one use: in a closed loop, whose pace is the server's, the warm-up ends early
  // once it has used a quarter of them. At a fixed rate the caller builds enough for warm-up and measured part
  // (bench/pair.ts: 1.2 × rate × their seconds), and the warm-up lasts its time: cut at a quarter, bench:pair's
  // "20 s" at 400 requests/s had been 8.4 s.
  if (!measuring) {
    if (++warmupAnswers >= requests.length / 4 && !fixedRate) startMeasuring();
    return;
  }
  measured.latencies.push(responseTime);
  if (tracing) {
    if (!connectionOf.has(client)) connectionOf.set(client, connectionsSeen++);
    traceAnswer(responseTime, connectionOf.get(client) as number);
  }
  if (statusCode < 200 || statusCode > 299) measured.non2xx++;
});
for (const event of ['reqError', 'reqMismatch']) {
  instance.on(event, () => {
    if (measuring) measured.errors++;
  });
}
const warmup = setTimeout(startMeasuring, warmupSeconds * 1000);
await instance;
const endedAt = performance.now();
clearTimeout(warmup);
clearTimeout(end);
// The pre-built requests ran out during the warm-up: nothing was measured, and the bench says so.
if (!measuring) throw new Error(`the warm-up used all ${requests.length} pre-built requests`);

writeTrace();
const cpu = process.cpuUsage(measured.cpu);
printLoad(measured.latencies, (endedAt - measured.startedAt) / 1000, {
  non2xx: measured.non2xx,
  errors: measured.errors,
  cpuMs: (cpu.user + cpu.system) / 1000,
});
