/**
 * The scale line of `npm run bench` (PostgreSQL only): query latency and CPU with 10k against 1M orders, and query
 * throughput with 1 against 2 gateway processes.
 */
import { benchMerchant, bulkOrders, databasesOf, postgresBackend } from './fixtures.ts';
import { CONNECTIONS, drive, log, meteredLoad, type Pace, pacedCount, SECONDS, startGateway, steadyState, stopProcess } from './harness.ts';
import { signV3, v3Query } from './requests.ts';

/** Seconds measured in each round of 10k against 1M orders (both at once, each paced, over 8 connections). */
const READING_SECONDS = 5;
/** Rounds of 10k against 1M orders; each swaps which gateway starts, and which load starts, first. */
const SCALE_ROUNDS = 4;

/**
 * Orders in the small database, orders added for the large one, the rate at which each database's gateway is sent
 * queries in the 10k-vs-1M rounds (paced, so that both do the same work a second) and pre-signed queries for each
 * 1-vs-2-process reading (SECONDS at 64 connections).
 */
export interface ScaleCounts {
  scaleSmall: number;
  scaleLarge: number;
  readingRate: number;
  queries: number;
}

const average = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A database for the scale line: `orders` paid orders (the first counts.scaleSmall of them queried), and its merchant. */
async function scaleSide(server: string, counts: ScaleCounts, tag: string, orders: number) {
  const backend = await postgresBackend(server, tag);
  const store = await backend.open();
  const merchant = await benchMerchant(store);
  await bulkOrders(store, merchant, 'Q', counts.scaleSmall, 'paid-code');
  if (orders > counts.scaleSmall) {
    log(`inserting ${orders - counts.scaleSmall} more orders`);
    await bulkOrders(store, merchant, 'Z', orders - counts.scaleSmall, 'paid-code');
  }
  await steadyState(store, merchant.mchid);
  await store.db.close();
  return { backend, merchant, orders };
}

/**
 * Query latency with 10k vs 1M orders (fewer in a smoke run), and 1 vs 2 gateway processes (PostgreSQL only).
 *
 * Why both databases are read at once: read one after the other, the two were seconds to minutes apart on a machine
 * whose speed changes from one minute to the next. Until 2026-12-07 the four readings ran in the order 10k, 1M, 1M,
 * 10k, which cancels a drift that runs one way over them, not a host that changes speed every minute or two: three
 * runs of that day read 1.23–1.29×, with every process's CPU per query up about as much, the load generator's too
 * (1.27–1.36×). Now a gateway on each database is sent the same queries a second over the same seconds, so both see
 * the same machine, and each round swaps which starts first (the order in which processes start has read as a cost
 * of its own: bench/pair.ts). Paced, not a closed loop: two closed loops on shared cores feed back on each other —
 * the faster gets more requests, shares more of them per database transaction, and gets faster still.
 */
export async function benchScale(server: string, counts: ScaleCounts): Promise<Record<string, number>> {
  log(`\n== scale: ${counts.scaleSmall} vs ${counts.scaleSmall + counts.scaleLarge} orders; 1 vs 2 processes`);
  const sides: Awaited<ReturnType<typeof scaleSide>>[] = [];
  try {
    sides.push(await scaleSide(server, counts, 'scale_small', counts.scaleSmall));
    sides.push(await scaleSide(server, counts, 'scale_large', counts.scaleSmall + counts.scaleLarge));
    const [small, large] = sides;
    const expectBody = '"trade_state":"SUCCESS"';
    const queryRequests = (side: typeof small, count: number) => signV3(side.merchant, v3Query(side.merchant, 'Q', counts.scaleSmall, count));
    const pace: Pace = { loop: 'paced', perSecond: counts.readingRate };
    const perReading = pacedCount(counts.readingRate, READING_SECONDS);
    /** One round: a gateway on each database, both loaded at once; `swap` starts the large one's gateway and load first. */
    const round = async (swap: boolean) => {
      const order = swap ? [large, small] : [small, large];
      const requests = await Promise.all(order.map((side) => queryRequests(side, perReading)));
      const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];
      try {
        for (const side of order) gateways.push(await startGateway(side.backend.startFlags));
        const loads = order.map((side, i) =>
          meteredLoad(gateways[i].child, databasesOf(side.backend), gateways[i].url, requests[i], expectBody, 8, READING_SECONDS, pace),
        );
        const [first, second] = await Promise.all(loads);
        return swap ? { small: second, large: first } : { small: first, large: second };
      } finally {
        for (const gw of gateways) await stopProcess(gw.child);
      }
    };
    type Reading = Awaited<ReturnType<typeof meteredLoad>>;
    const rounds: { small: Reading; large: Reading }[] = [];
    for (let r = 0; r < SCALE_ROUNDS; r++) rounds.push(await round(r % 2 === 1));
    const meanOf = (side: 'small' | 'large', figure: (r: Reading) => number) => average(rounds.map((r) => figure(r[side])));
    const p50 = (side: 'small' | 'large') => meanOf(side, (r) => r.load.p50);

    // One process against two, read 1, 2, 2, 1 so that a drift that runs one way over the four readings cancels (the
    // two cannot run at once: each is the whole machine's throughput), all four on the same database: until 2026-12-05
    // the two processes read the million orders and the one the 10k, and on a machine where the larger database
    // costs PostgreSQL more per query (0.23 → 0.36 ms there) the line charged that to the second process.
    const throughput = async (side: typeof small, workers: number) => {
      const gw = await startGateway([...side.backend.startFlags, ...(workers > 1 ? ['--workers', String(workers)] : [])]);
      try {
        if (workers > 1) await new Promise((r) => setTimeout(r, 2000)); // every worker listening
        return await drive(gw.url, await queryRequests(side, counts.queries), CONNECTIONS, SECONDS, expectBody);
      } finally {
        await stopProcess(gw.child);
      }
    };
    const processes: { workers: number; load: Awaited<ReturnType<typeof throughput>> }[] = [];
    for (const workers of [1, 2, 2, 1]) processes.push({ workers, load: await throughput(small, workers) });
    const meanThroughput = (workers: number) => average(processes.filter((p) => p.workers === workers).map((p) => p.load.throughput));
    const single = meanThroughput(1);
    const double = meanThroughput(2);
    return {
      ordersSmall: small.orders,
      ordersLarge: large.orders,
      queryRate: counts.readingRate,
      scaleRounds: SCALE_ROUNDS,
      queryP50At10k: p50('small'),
      queryP50At1M: p50('large'),
      queryP99At10k: meanOf('small', (r) => r.load.p99),
      queryP99At1M: meanOf('large', (r) => r.load.p99),
      latencyRatio: p50('large') / Math.max(p50('small'), 0.001),
      postgresCpuMsAt10k: meanOf('small', (r) => r.cpu.postgres),
      postgresCpuMsAt1M: meanOf('large', (r) => r.cpu.postgres),
      gatewayCpuMsAt10k: meanOf('small', (r) => r.cpu.gateway),
      gatewayCpuMsAt1M: meanOf('large', (r) => r.cpu.gateway),
      loaderCpuMsAt10k: meanOf('small', (r) => r.cpu.loader),
      loaderCpuMsAt1M: meanOf('large', (r) => r.cpu.loader),
      oneProcess: single,
      twoProcesses: double,
      processScaling: double / single,
      errors: [...rounds.flatMap((r) => [r.small.load, r.large.load]), ...processes.map((p) => p.load)].reduce((sum, l) => sum + l.non2xx + l.errors, 0),
    };
  } finally {
    for (const side of sides) await side.backend.drop();
  }
}
