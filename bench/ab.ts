/**
 * `npm run bench:ab -- [--rounds 3] [--rows reverse] [--seconds 8] base= nolog="--request-log-rows 0"`:
 * interleaved runs of variants, the way a budget of a few percent is judged — by CPU per operation over
 * interleaved runs, with the plain peer in every run as the control (throughput alone spreads ±10 % here); the
 * gateway's and PostgreSQL's shares are printed apart, since a change can move work from one to the other.
 * A variant is `label=` followed by `tradegate start` flags (a flag written `node:--flag` is a node flag for the
 * gateway's process instead), or `label@dir=flags` to run the gateway built in
 * another checkout `dir` (`git worktree add dir REV`, then `npm ci` there): an A/B of two versions of the
 * code with this bench. Each round runs every variant once, odd rounds in
 * the order given and even rounds backwards (BENCH_GATEWAY_NODE_FLAGS and BENCH_DATABASE_URL pass through). Prints, per variant and row, the means of
 * gateway + PostgreSQL CPU ms/op, that figure over the peer's in the same run, throughput over the peer's, p99.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Row } from './report.ts';
import { isPeerRow } from './targets.ts';
import { parseVariant } from './variants.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '3' }, rows: { type: 'string', default: 'reverse' }, seconds: { type: 'string', default: '8' } },
});
const variants = positionals.map(parseVariant);
if (variants.length === 0) throw new Error('name at least one variant: label=flags (base= for the defaults)');

const dir = mkdtempSync(join(tmpdir(), 'tradegate-ab-'));
const runs = new Map<string, Row[][]>(variants.map((v) => [v.label, []]));
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    // ABBA order: even rounds run the variants backwards, so a drift of the machine does not favour the first.
    for (const v of round % 2 === 1 ? variants : [...variants].reverse()) {
      const file = join(dir, `${v.label}-${round}.json`);
      const shown = [v.flags.join(' '), v.nodeFlags.length > 0 && `node ${v.nodeFlags.join(' ')}`, v.nodeBinary && `on ${v.nodeBinary}`]
        .filter(Boolean)
        .join('; ');
      process.stderr.write(`round ${round}: ${v.label} (${shown || 'defaults'}${v.dir ? `, built in ${v.dir}` : ''})\n`);
      const env = {
        ...process.env,
        BENCH_ROWS: values.rows,
        BENCH_SECONDS: values.seconds,
        BENCH_PGLITE: '0',
        BENCH_SCALE: '0',
        BENCH_GATEWAY_FLAGS: v.flags.join(' '),
        ...(v.nodeFlags.length > 0 ? { BENCH_GATEWAY_NODE_FLAGS: [process.env.BENCH_GATEWAY_NODE_FLAGS, ...v.nodeFlags].filter(Boolean).join(' ') } : {}),
        ...(v.dir ? { BENCH_GATEWAY_DIR: v.dir } : {}),
        ...(v.nodeBinary ? { BENCH_GATEWAY_NODE: v.nodeBinary } : {}),
        BENCH_ROWS_JSON: file,
      };
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'run.ts')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      if (run.status !== 0) throw new Error(`${v.label}: the bench exited ${run.status}`);
      runs.get(v.label)?.push(JSON.parse(readFileSync(file, 'utf8')) as Row[]);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const cpu = (r: Row) => r.cpuMsPerOp.gateway + r.cpuMsPerOp.postgres;
const f = (n: number, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const lines = [
  `Interleaved runs: ${values.rounds} rounds, ${values.seconds} s per row; means over the rounds.`,
  '',
  '| variant | row | gateway + PostgreSQL CPU ms/op | gateway | PostgreSQL | × the peer’s | throughput / peer | req/s | p99 ms |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const v of variants) {
  const each = runs.get(v.label) ?? [];
  for (const name of new Set(each.flat().map((r) => r.row))) {
    if (isPeerRow(name)) continue;
    const pairs = each.map((rows) => ({ ours: rows.find((r) => r.row === name), peer: rows.find((r) => isPeerRow(r.row)) }));
    const ours = pairs.flatMap((p) => (p.ours ? [p.ours] : []));
    const withPeer = pairs.flatMap((p) => (p.ours && p.peer ? [{ ours: p.ours, peer: p.peer }] : []));
    lines.push(
      `| ${v.label} | ${name} | ${f(mean(ours.map(cpu)))} | ${f(mean(ours.map((r) => r.cpuMsPerOp.gateway)))} | ` +
        `${f(mean(ours.map((r) => r.cpuMsPerOp.postgres)))} | ${withPeer.length ? f(mean(withPeer.map((p) => cpu(p.ours) / cpu(p.peer)))) : '—'} | ` +
        `${withPeer.length ? f(mean(withPeer.map((p) => p.ours.throughput / p.peer.throughput))) : '—'} | ${f(mean(ours.map((r) => r.throughput)), 0)} | ${f(mean(ours.map((r) => r.p99)), 0)} |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
