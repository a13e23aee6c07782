/**
 * `npm run bench:pair -- [--rounds 6] [--row reverse|query] [--seconds 8] [--warmup 20] [--rate 600] base= nolog="--request-log-rows 0"`:
 * two variants of the gateway measured at the same time, each on a database of its own with half the connections
 * and the same offered rate, and the CPU per operation of each (its process tree and its database's backends) read
 * over the same seconds. Variants are written as for bench/ab.ts (bench/variants.ts): `label=` and `tradegate start`
 * flags, `node:--flag` for a node flag, `label@dir=flags` for the gateway built in another checkout.
 *
 * Why beside `bench:ab`: interleaved runs compare variants minutes apart, and machines of this kind drift by ±10 %
 * from one minute to the next (a 6-round A/B of the request log read +19.5 % in one round and −12.9 % in another),
 * so a budget of 3 % is below what they resolve. Run together, both variants see the same drift; the per-round ratio
 * of their CPU per operation cancels it (two identical gateways: 0.0 %, 95 % interval ±1.8 % over 6 rounds). Each
 * round swaps which variant gets which database and which starts first.
 *
 * Why a fixed rate rather than a closed loop: two saturated gateways on shared cores feed back on each other — the
 * one that answers a little faster gets more requests, shares more of them per database transaction, so spends less
 * per operation and answers faster still (the request log read −8.8 % that way, at 677 against 829 req/s). Offered
 * the same rate, both do the same work per second and differ only by their cost. The rate sets the operating point:
 * at 600/s each, below saturation, an operation costs more than at the full bench's load (fewer share a transaction),
 * so a cost of a fixed size per request reads as a slightly smaller share here. The ratio is printed with a 95 %
 * interval over the rounds; the absolute figures are of a machine loaded twice. PostgreSQL's own processes (WAL
 * writer, checkpointer, autovacuum) serve both databases and are counted for both: that dilutes a difference, it
 * cannot make one.
 */
import { parseArgs } from 'node:util';
import jstat from 'jstat';
import { benchMerchant, bulkOrders, databasesOf, postgresBackend, type Backend } from './fixtures.ts';
import { CONNECTIONS, log, meteredLoad, SECONDS, startGateway, steadyState, stopProcess } from './harness.ts';
import { signV3, v3Query, v3Reverse, type Prebuilt } from './requests.ts';
import { parseVariant } from './variants.ts';
import type { Merchant } from '../src/core/merchant.ts';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '6' },
    row: { type: 'string', default: 'reverse' },
    seconds: { type: 'string', default: String(SECONDS) },
    rate: { type: 'string', default: '600' },
    warmup: { type: 'string', default: '20' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
/**
 * Seconds of unmeasured load after each gateway starts. Longer than the full bench's 2 s: at 400 requests/s, 2 s are
 * 800 requests, and code that runs once per request or once per batch (the request log's) is still being compiled
 * while it is measured. Two gateways with the log off read 0.817 ms of gateway CPU per reverse after 2 s and 0.690
 * after 8.4 s (asked for 20, the load generator then ended a warm-up at a quarter of its requests; bench/load.ts
 * now lets a fixed rate's run its time) (bench/results/2026-12-04-notes.md).
 * A budget is a cost of the running gateway, so it is read at steady state.
 */
const warmup = Number(values.warmup);
/** Requests per second offered to each gateway; 0 for a closed loop (each connection sends again on its answer). */
const rate = Number(values.rate);
if (values.row !== 'reverse' && values.row !== 'query') throw new Error(`--row is reverse or query, not ${values.row}`);
const row = values.row;
if (positionals.length !== 2) throw new Error('name two variants: label=flags (base= for the defaults)');
const variants = positionals.map(parseVariant);

/** Requests per gateway and round: the rate's with a margin, or twice what half of a 2-core machine's ~2,400 reverses/s would use. */
const PER_ROUND = Math.ceil((rate > 0 ? 1.2 * rate : 2 * 1200) * (seconds + warmup));
const QUERY_ORDERS = 1000;

interface Side {
  backend: Backend;
  merchant: Merchant;
  databases: string[];
}

async function prepare(tag: string): Promise<Side> {
  const backend = await postgresBackend(SERVER, tag);
  const store = await backend.open();
  const merchant = await benchMerchant(store);
  if (row === 'reverse') for (let r = 1; r <= rounds; r++) await bulkOrders(store, merchant, `R${r}x`, PER_ROUND, 'paid-code');
  else await bulkOrders(store, merchant, 'Q', QUERY_ORDERS, 'paid-code');
  await steadyState(store, merchant.mchid);
  await store.db.close();
  return { backend, merchant, databases: databasesOf(backend) };
}

function requestsFor(side: Side, round: number): Promise<Prebuilt[]> {
  const m = side.merchant;
  return signV3(m, row === 'reverse' ? v3Reverse(m, `R${round}x`, PER_ROUND) : v3Query(m, 'Q', QUERY_ORDERS, PER_ROUND));
}

/** One round: both gateways started, loaded at once, stopped. `swap` gives variant 0 the second database. */
async function runRound(sides: [Side, Side], round: number) {
  const swap = round % 2 === 0;
  const assigned = variants.map((v, i) => ({ variant: v, side: sides[(i + (swap ? 1 : 0)) % 2] }));
  const requests = await Promise.all(assigned.map((a) => requestsFor(a.side, round)));
  const order = swap ? [1, 0] : [0, 1];
  const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];
  try {
    for (const i of order)
      gateways[i] = await startGateway(
        [...assigned[i].side.backend.startFlags, ...assigned[i].variant.flags],
        assigned[i].variant.dir,
        assigned[i].variant.nodeFlags,
        assigned[i].variant.nodeBinary,
      );
    const expectBody = row === 'query' ? '"trade_state":"SUCCESS"' : '';
    // The load generators start in the round's order too: started in a fixed order, the variant named first read
    // 1.6–2.3 % dearer (the request log measured both ways round, 2026-12-04 notes). Why is not fully known (the
    // first-started load counts a slightly higher rate); alternating puts it on both variants alike.
    const loads: ReturnType<typeof meteredLoad>[] = [];
    for (const i of order) {
      const a = assigned[i];
      loads[i] = meteredLoad(
        gateways[i].child,
        a.side.databases,
        gateways[i].url,
        requests[i],
        expectBody,
        CONNECTIONS / 2,
        seconds,
        { loop: 'quota', perSecond: rate },
        warmup,
      );
    }
    const results = await Promise.all(loads);
    return results.map((r) => ({
      cpu: r.cpu.gateway + r.cpu.postgres,
      gateway: r.cpu.gateway,
      postgres: r.cpu.postgres,
      rate: r.load.throughput,
      errors: r.load.errors + r.load.non2xx,
    }));
  } finally {
    for (const g of gateways) if (g) await stopProcess(g.child);
  }
}

const { jStat } = jstat;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The mean's 95 % confidence interval, from Student's t (the rounds are few, and their spread is estimated). */
function interval(xs: number[]): [number, number] {
  const m = mean(xs);
  if (xs.length < 2) return [m, m];
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  const half = jStat.studentt.inv(0.975, xs.length - 1) * (sd / Math.sqrt(xs.length));
  return [m - half, m + half];
}

const sides = await Promise.all([prepare('pair_a'), prepare('pair_b')]);
try {
  const results: { cpu: number; gateway: number; postgres: number; rate: number; errors: number }[][] = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await runRound(sides as [Side, Side], round);
    results.push(r);
    log(
      `round ${round}: ${variants.map((v, i) => `${v.label} ${r[i].cpu.toFixed(3)} ms/op (${r[i].rate.toFixed(0)}/s, ${r[i].errors} errors)`).join(', ')}: ` +
        `${variants[1].label} ÷ ${variants[0].label} = ${(r[1].cpu / r[0].cpu).toFixed(3)}`,
    );
  }
  const ratios = results.map((r) => r[1].cpu / r[0].cpu);
  const [low, high] = interval(ratios);
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)} %`;
  const lines = [
    `Paired runs: ${rounds} rounds of APIv3 ${row}, ${seconds} s each after ${warmup} s of warm-up, two gateways at once (${CONNECTIONS / 2} connections each, ${rate > 0 ? `${rate} requests/s offered to each` : 'closed loop'}).`,
    '',
    '| variant | gateway + PostgreSQL CPU ms/op | gateway | PostgreSQL | req/s | errors |',
    '|---|---|---|---|---|---|',
    ...variants.map((v, i) => {
      const each = results.map((r) => r[i]);
      const avg = (k: 'cpu' | 'gateway' | 'postgres' | 'rate') => mean(each.map((e) => e[k]));
      return `| ${v.label} | ${avg('cpu').toFixed(3)} | ${avg('gateway').toFixed(3)} | ${avg('postgres').toFixed(3)} | ${avg('rate').toFixed(0)} | ${each.reduce((a, e) => a + e.errors, 0)} |`;
    }),
    '',
    `${variants[1].label} ÷ ${variants[0].label}, CPU per operation, per round: ${ratios.map((x) => x.toFixed(3)).join(', ')}`,
    `mean ${pct(mean(ratios))}, 95 % interval ${pct(low)} to ${pct(high)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  for (const s of sides) await s.backend.drop();
}
