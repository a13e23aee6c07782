/**
 * Every full run kept in bench/results/, one line each, judged against the performance targets: the table of
 * docs/performance.md, which `npm run docs` and each full `npm run bench` write. Generated from the files, so that
 * the record cannot drift from them, nor leave out a run that missed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { floorOf, type Ceilings, type Cpu } from './report.ts';
import { isPeerRow, ROW, TARGETS } from './targets.ts';

/** What a run in bench/results/<date>.json keeps, as far as the table reads it. */
export interface StoredRun {
  startedAt: string;
  machineCeilings: { postgres: Ceilings };
  latencyFloor?: { p99: number } | null;
  /** The minimal servers' figures: `{ load, cpu }` per operation since 2026-12-04 16:18; a load alone before. */
  minimal?: Record<'query' | 'reverse', { load: { p99: number } } | { p99: number }> | null;
  /** 2026-12-04 15:38 and 15:47: the minimal query server alone. */
  minimalQuery?: { p99: number } | null;
  rows: { row: string; backend: string; throughput: number; p99: number; peakRssMb: number; ratio: string; cpuMsPerOp: Cpu }[];
  scale: { latencyRatio?: number } | null;
}

/** Runs from the day the ceilings became the machine's (`machineCeilings`); earlier files measured tradegate's own store. */
export function storedRuns(dir: string): StoredRun[] {
  return readdirSync(dir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}\.json$/.test(name))
    .sort()
    .flatMap((name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { runs?: StoredRun[] }).runs ?? [])
    .filter((run) => run.machineCeilings !== undefined);
}

const ratioOf = (printed: string) => Number.parseFloat(printed);
/** The minimal server's p99 for `operation`, in whichever shape the run kept it. */
function minimalP99(run: StoredRun, operation: 'query' | 'reverse'): number | undefined {
  const kept = run.minimal?.[operation];
  if (kept) return 'load' in kept ? kept.load.p99 : kept.p99;
  return operation === 'query' ? run.minimalQuery?.p99 : undefined;
}
const fixed = (n: number | undefined, digits: number) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const times = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${fixed(n, 2)}×`);

/** One run's line, and the targets it missed. */
export function runLine(run: StoredRun): { cells: string[]; missed: string[] } {
  const pg = run.rows.filter((r) => r.backend === 'postgres');
  const named = (name: string) => pg.find((r) => r.row === name);
  const reverse = named(ROW.reverse);
  const query = named(ROW.query);
  const v2 = named(ROW.v2);
  const peer = pg.find((r) => isPeerRow(r.row));
  const ceilings = run.machineCeilings.postgres;
  const overPeer = reverse && peer ? reverse.throughput / Math.max(peer.throughput, 1) : undefined;
  const overFloor = reverse ? (reverse.cpuMsPerOp.gateway + reverse.cpuMsPerOp.postgres) / floorOf(ceilings) : undefined;
  const scale = run.scale?.latencyRatio;
  // tradegate's memory: the peer's process is not the target's.
  const ours = pg.filter((r) => r !== peer);
  const rss = ours.length > 0 ? Math.max(...ours.map((r) => r.peakRssMb)) : undefined;
  const checks: [string, boolean | undefined][] = [
    ['reverse L', reverse && ratioOf(reverse.ratio) >= TARGETS.reverseRatio],
    ['reverse p99', reverse && reverse.p99 <= TARGETS.reverseP99],
    ['query L', query && ratioOf(query.ratio) >= TARGETS.queryRatio],
    ['query p99', query && query.p99 <= TARGETS.queryP99],
    ['APIv2 D', v2 && ratioOf(v2.ratio) >= TARGETS.v2Ratio],
    ['peer', overPeer !== undefined && overPeer >= TARGETS.overPeer],
    ['floor', overFloor !== undefined && overFloor <= TARGETS.overFloor],
    ['scale', scale !== undefined && scale <= TARGETS.scale],
    ['RSS', rss !== undefined && rss <= TARGETS.rssMb],
  ];
  const missed = checks.filter(([, met]) => met !== true).map(([name]) => name);
  const cells = [
    run.startedAt.slice(0, 16).replace('T', ' '),
    thousands(ceilings.S.signsPerSecond),
    thousands(ceilings.D.tps),
    thousands(ceilings.L),
    reverse ? `${thousands(reverse.throughput)}, ${reverse.ratio}, ${fixed(reverse.p99, 1)}` : '–',
    query ? `${thousands(query.throughput)}, ${query.ratio}, ${fixed(query.p99, 1)}` : '–',
    v2?.ratio ?? '–',
    times(overPeer),
    times(overFloor),
    times(scale),
    fixed(rss, 0),
    fixed(run.latencyFloor?.p99, 1),
    `${fixed(minimalP99(run, 'query'), 1)}, ${fixed(minimalP99(run, 'reverse'), 1)}`,
    missed.length === 0 ? 'none' : missed.join(', '),
  ];
  return { cells, missed };
}

const HEADER = [
  'run (UTC)',
  'S signs/s',
  'D tx/s',
  'L',
  'APIv3 reverse: req/s, ratio, p99 ms',
  'APIv3 query: req/s, ratio, p99 ms',
  'APIv2 reverse',
  '÷ peer',
  '÷ CPU floor',
  'query 10k → 1M',
  'peak RSS MB',
  'sign-only p99 ms',
  'minimal query, reverse p99 ms',
  'targets missed',
];

/** The table of every stored run, oldest first, with a closing line that counts them. */
export function renderRunHistory(runs: StoredRun[]): string {
  const lines = runs.map(runLine);
  const allMet = lines.filter((l) => l.missed.length === 0).length;
  const since = (name: string) => lines.filter((l) => !l.missed.includes(name)).length;
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.cells.join(' | ')} |`),
    '',
    `${runs.length} runs; every target met in ${allMet}. Met: reverse p99 in ${since('reverse p99')}, query p99 in ` +
      `${since('query p99')}, reverse L in ${since('reverse L')}, peer in ${since('peer')}, CPU floor in ${since('floor')}.`,
  ].join('\n');
}

const START = '<!-- runs:start -->';
const END = '<!-- runs:end -->';

/** `document` with the text between its run-history markers replaced by `table`. */
export function withRunHistory(document: string, table: string): string {
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the document has no ${START} … ${END} section`);
  return `${document.slice(0, start + START.length)}\n${table}\n${document.slice(end)}`;
}

/** Rewrites the table of every run in `<root>/docs/performance.md` from `<root>/bench/results/`; how many runs it holds. */
export function writeRunHistory(root: string): number {
  const runs = storedRuns(join(root, 'bench/results'));
  const document = join(root, 'docs/performance.md');
  writeFileSync(document, withRunHistory(readFileSync(document, 'utf8'), renderRunHistory(runs)));
  return runs.length;
}
