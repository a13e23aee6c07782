/**
 * What the bench's two load generators (bench/load.ts: closed loop and autocannon's quota; bench/paced-load.ts: paced)
 * share with bench/harness.ts's `drive`, which starts them: their arguments, and the one JSON line each prints about
 * its measured part.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Load } from './harness.ts';
import type { Prebuilt } from './requests.ts';

/** The load generator's arguments, in `drive`'s order. */
export function loadArguments(argv = process.argv.slice(2)) {
  const [file, url, seconds, connections, warmupSeconds, expectBody, rate] = argv;
  return {
    requests: JSON.parse(readFileSync(file, 'utf8')) as Prebuilt[],
    url,
    seconds: Number(seconds),
    connections: Number(connections),
    warmupSeconds: Number(warmupSeconds),
    // A dialect that answers refusals with HTTP 200 (APIv2) must show success in the body; anything else is an error.
    expected: expectBody ? new RegExp(expectBody) : null,
    rate: Math.max(Number(rate) || 0, 0),
  };
}

/** The value at quantile `q` of ascending `values` (0 when there is none). */
export const quantile = (values: number[], q: number) => values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))] ?? 0;

/** A figure in milliseconds to a tenth: the scale section compares p50s of a few milliseconds, which whole ms would quantise. */
export const toTenth = (ms: number) => Math.round(ms * 10) / 10;

/** Prints the measured part's figures as the one JSON line `drive` reads. */
export function printLoad(latencies: number[], durationSeconds: number, counts: Pick<Load, 'non2xx' | 'errors' | 'cpuMs' | 'sendLagP99'>) {
  const sorted = latencies.sort((a, b) => a - b);
  const load: Load = {
    requests: sorted.length,
    durationSeconds,
    throughput: sorted.length / durationSeconds,
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(sorted.length, 1),
    p50: toTenth(quantile(sorted, 0.5)),
    p99: toTenth(quantile(sorted, 0.99)),
    ...counts,
  };
  process.stdout.write(`${JSON.stringify(load)}\n`);
}

/**
 * BENCH_TRACE=<dir>: each answer as a line (its arrival, epoch ms; its latency; what the generator adds), one file
 * per row, to line the slow answers up with events elsewhere (a flush, a checkpoint, a collection): the row's p99
 * alone cannot say when they came.
 */
export const tracing = Boolean(process.env.BENCH_TRACE);
const traceLines: string[] = [];

/** Notes an answer that has just arrived, if tracing is on: its latency (ms), then the generator's own columns. */
export function traceAnswer(latencyMs: number, ...columns: (string | number)[]) {
  if (tracing) traceLines.push([(performance.timeOrigin + performance.now()).toFixed(1), latencyMs.toFixed(2), ...columns].join(' '));
}

/** Writes the row's trace, if tracing is on. */
export function writeTrace() {
  if (!tracing) return;
  const dir = process.env.BENCH_TRACE ?? '';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${Date.now()}.txt`), `${traceLines.join('\n')}\n`);
}
