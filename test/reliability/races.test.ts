/**
 * Races (issue 6 §2): two gateway processes (`tradegate start`, child processes) on one PostgreSQL schema, more
 * than 10,000 mixed operations over 50 orders through the real HTTP APIs of every dialect (APIv3 signed JSON,
 * APIv2 signed XML with mutual TLS on /secapi/*, PayCloud signed forms, the sandbox payer), 32 in flight, split
 * across both processes while both processes' sweepers and notification workers run. Afterwards every invariant
 * of design.md is checked against the store, and every answer the clients got against the final state.
 *
 * PostgreSQL only: PGlite is one connection in one process, so nothing could race.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Order } from '../../src/core/order.ts';
import { openStore, type StoreOptions } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { postgresOnly, TEST_DATABASE_URL } from '../helpers/database.ts';
import { pgbouncerBinary, startPgBouncer } from '../helpers/pgbouncer.ts';
import type { Credentials } from '../helpers/gateway.ts';
import { schemaUrl, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { histogram, HttpClient, runBounded } from '../helpers/http-client.ts';
import { adminCall, MerchantCalls, prng, weighted, type Endpoint } from '../helpers/merchant-calls.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { allViolations, loadOrders } from '../helpers/store-audit.ts';

const database = postgresOnly();
const OPERATIONS = Number(process.env.RACE_OPERATIONS ?? 10_000);
const IN_FLIGHT = 32;
const TOKEN = 'race-admin-token';
const AMOUNT = 1000;

type Kind = 'native' | 'code';
interface RaceOrder {
  readonly m: number;
  readonly no: string;
  readonly kind: Kind;
  /** The exact create body of APIv3 code payments, replayed as is. */
  readonly codepayBody?: Record<string, unknown>;
  /** APIv3 refund bodies sent for this order (replayed as is). */
  readonly v3Refunds: Record<string, unknown>[];
  /** Every out_refund_no tried on this order, any dialect. */
  readonly refundNos: string[];
}

const NATIVE_OPS = {
  pay: 20,
  'v3.close': 6,
  'v2.close': 2,
  'v3.reverse': 4,
  'pc.void': 2,
  'v3.refund': 18,
  'v2.refund': 6,
  'pc.refund': 6,
  'v3.refund.replay': 4,
  'v3.query': 10,
  'v2.query': 4,
  'pc.query': 4,
  'v3.refund.query': 4,
  'pc.refund.query': 2,
} as const;
const CODE_OPS = {
  pay: 2,
  confirm: 3,
  abandon: 1,
  'v3.codepay.replay': 3,
  'v3.close': 2,
  'v3.reverse': 12,
  'v2.reverse': 5,
  'pc.void': 5,
  'v3.refund': 18,
  'v2.refund': 6,
  'pc.refund': 6,
  'v3.refund.replay': 4,
  'v3.query': 10,
  'v2.query': 4,
  'pc.query': 4,
  'v3.refund.query': 4,
  'pc.refund.query': 2,
} as const;
type Op = keyof typeof NATIVE_OPS | keyof typeof CODE_OPS | 'tick';

/** Where the gateway processes and the audit store connect, and what to drop afterwards. */
interface RaceTarget {
  readonly processUrl: string;
  readonly options: StoreOptions;
  /** `tradegate start` flags the target needs (PgBouncer 1.18: unnamed statements only). */
  readonly extraArgs?: readonly string[];
  cleanup(): Promise<void>;
}

describe('races: 2 gateway processes, ≥ 10,000 mixed operations over 50 orders', {
  skip: database ? false : 'TEST_DATABASE_URL not set (PGlite has a single connection: nothing can race)',
}, () => {
  test('zero invariant violations, zero 5xx, every success in the store', { timeout: 300_000 }, () =>
    race(async () => {
      const options = await database!.storeOptions();
      return { processUrl: schemaUrl(options.databaseUrl!, options.schema!), options, cleanup: () => database!.cleanup() };
    }),
  );
});

/*
 * The same races through PgBouncer 1.18 in transaction pooling mode (6 server connections shared by both
 * processes' pools): pipelined statements, unnamed statements only, a database of its own (no `options`).
 * Time budget: as the direct run plus ~1 s to start PgBouncer and make and drop the database: 3,000 operations
 * took 200 s on 2 cores shared with a load average of 26 (25 operations/s); on a quiet CI machine 10,000 take a
 * few minutes. Timeout 600 s. Mandatory when CI=true (fails if pgbouncer
 * is missing: .ci/run installs it); elsewhere skipped, with a notice, when pgbouncer is not installed.
 */
const bouncerMissing = !pgbouncerBinary();
if (database && bouncerMissing && process.env.CI !== 'true') {
  console.log('races: NOTICE pgbouncer is not installed, the PgBouncer variant is skipped (apt-get install -y pgbouncer)');
}
describe('races through PgBouncer (transaction pooling)', {
  skip: !database
    ? 'TEST_DATABASE_URL not set'
    : bouncerMissing && process.env.CI !== 'true'
      ? 'pgbouncer not installed (apt-get install -y pgbouncer)'
      : false,
}, () => {
  test('zero invariant violations, zero 5xx, every success in the store', { timeout: 600_000 }, () =>
    race(async () => {
      const bouncer = await startPgBouncer(TEST_DATABASE_URL!);
      return {
        processUrl: bouncer.url,
        options: { databaseUrl: bouncer.url, preparedStatements: false },
        extraArgs: ['--database-prepared-statements', 'off'],
        cleanup: async () => {
          const log = bouncer.log();
          if (/\b(ERROR|FATAL)\b/.test(log)) console.log(`races: pgbouncer log:\n${log.slice(-4000)}`);
          await bouncer.stop();
        },
      };
    }),
  );
});

async function race(open: () => Promise<RaceTarget>): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const target = await open();
  cleanups.push(() => target.cleanup());
  const { options, processUrl: url } = target;

  const t0 = Date.now();
  const processes: GatewayProcess[] = await Promise.all(
    // Keep-alive sockets live 60 s: a pooled socket idle through a busy stretch of the suite could otherwise be
    // reused just as the gateway closes it at its 5 s default (ECONNRESET — a race of the client's pool, seen
    // once in CI, not an answer of the gateway; database-outage.test.ts does the same).
    [0, 1].map(() =>
      startGatewayProcess({ databaseUrl: url, adminToken: TOKEN, extraArgs: ['--keep-alive-timeout-ms', '60000', ...(target.extraArgs ?? [])] }),
    ),
  );
  for (const p of processes) cleanups.push(() => p.stop());
  const at: Endpoint[] = processes;
  const store: SqlStore = await openStore(options);
  cleanups.push(() => store.db.close());
  const receiver = await startReceiver(() => ({ status: 200, body: '' }));
  cleanups.push(receiver.close);
  const adminHttp = new HttpClient(16);
  cleanups.push(() => adminHttp.close());
  const admin = (p: number, method: string, path: string, body?: unknown) => adminCall(adminHttp, at[p]!, TOKEN, method, path, body);

  // Merchants are provisioned through the sandbox API of the first process only; the second learns of them from the store.
  const credentials: Credentials[] = [];
  for (let m = 0; m < 2; m++) {
    const res = await admin(0, 'POST', '/sandbox/merchants', {});
    assert.equal(res.status, 201, JSON.stringify(res.body));
    credentials.push(res.body);
  }
  const calls = credentials.map((c) => new MerchantCalls(c, IN_FLIGHT));
  for (const c of calls) cleanups.push(() => c.close());
  const startupMs = Date.now() - t0;

  // ---- 50 orders: APIv3 native, APIv2 unifiedorder, PayCloud QR (unpaid); APIv3 codepay (paid, password, never
  // confirmed), PayCloud and APIv2 code payments (paid).
  const orders: RaceOrder[] = [];
  const setupOutcomes: string[] = [];
  const setup: (() => Promise<void>)[] = [];
  const lateSetup: (() => Promise<void>)[] = [];
  for (let m = 0; m < 2; m++) {
    const c = credentials[m]!;
    const mc = calls[m]!;
    const add = (no: string, kind: Kind, make: (order: RaceOrder, p: number) => Promise<string>, codepayBody?: Record<string, unknown>, late = false) => {
      const order: RaceOrder = { m, no, kind, codepayBody, v3Refunds: [], refundNos: [] };
      orders.push(order);
      const p = orders.length % 2;
      (late ? lateSetup : setup).push(async () => {
        setupOutcomes.push(`${no[0]} ${await make(order, p)}`);
      });
    };
    for (let i = 0; i < 12; i++) {
      add(`N${m}-${i}`, 'native', async (o, p) => {
        const r = await mc.v3(at[p]!, 'POST', '/v3/pay/transactions/native', {
          appid: c.appid,
          mchid: c.mchid,
          description: 'race',
          out_trade_no: o.no,
          notify_url: receiver.url,
          amount: { total: AMOUNT, currency: 'CNY' },
        });
        return `${r.status}${r.code ? ` ${r.code}` : ''}`;
      });
    }
    for (let i = 0; i < 2; i++) {
      add(
        `U${m}-${i}`,
        'native',
        async (o, p) =>
          (
            await mc.v2(
              at[p]!,
              '/pay/unifiedorder',
              {
                body: 'race',
                out_trade_no: o.no,
                total_fee: String(AMOUNT),
                spbill_create_ip: '10.0.0.1',
                notify_url: receiver.url,
                trade_type: 'NATIVE',
                product_id: 'p1',
              },
              i % 2 ? 'HMAC-SHA256' : 'MD5',
            )
          ).outcome,
      );
    }
    add(
      `Q${m}-0`,
      'native',
      async (o, p) =>
        (
          await mc.payCloud(at[p]!, 'cscanb.pay.getqrcode', {
            merchant_order_no: o.no,
            price_currency: 'CNY',
            trans_amount: (AMOUNT / 100).toFixed(2),
            pay_method_id: 'WeChatPay',
            notify_url: receiver.url,
            description: 'race',
          })
        ).code,
    );
    // Code payments: 5 paid at once now; 2 with a password the payer confirms after 10 s and 1 never confirmed
    // are made after the clock moved, so that their prompts are still open when the load starts.
    const endings = ['0100', '0101', '0102', '0103', '0104', '0001', '0001', '0002'];
    endings.forEach((ending, i) => {
      const no = `C${m}-${i}`;
      const body = {
        appid: c.appid,
        mchid: c.mchid,
        description: 'race',
        out_trade_no: no,
        payer: { auth_code: `1345678901234${i}${ending}` },
        amount: { total: AMOUNT, currency: 'CNY' },
        scene_info: { store_info: { out_id: 'store-1' } },
      };
      add(
        no,
        'code',
        async (_o, p) => {
          const r = await mc.v3(at[p]!, 'POST', '/v3/pay/transactions/codepay', body);
          return `${r.status}${r.code ? ` ${r.code}` : ''}`;
        },
        body,
        ending.startsWith('000'),
      );
    });
    add(
      `P${m}-0`,
      'code',
      async (o, p) =>
        (
          await mc.payCloud(at[p]!, 'bscanc.pay.submit', {
            merchant_order_no: o.no,
            price_currency: 'CNY',
            trans_amount: (AMOUNT / 100).toFixed(2),
            auth_code: '134567890123450200',
            description: 'race',
          })
        ).code,
    );
    add(
      `M${m}-0`,
      'code',
      async (o, p) =>
        (
          await mc.v2(at[p]!, '/pay/micropay', {
            body: 'race',
            out_trade_no: o.no,
            total_fee: String(AMOUNT),
            spbill_create_ip: '10.0.0.1',
            auth_code: '134567890123450300',
          })
        ).outcome,
    );
  }
  assert.equal(orders.length, 50);
  await runBounded(setup.length, 8, (i) => setup[i]!());
  // Every window opens (close after 5 min, reverse after 15 s) for the orders made so far.
  for (let m = 0; m < 2; m++) {
    assert.equal((await admin(m, 'POST', `/sandbox/merchants/${credentials[m]!.mchid}/clock`, { advance_seconds: 360 })).status, 200);
  }
  await runBounded(lateSetup.length, 8, (i) => lateSetup[i]!());
  const setupHistogram = histogram(setupOutcomes);
  for (const label of Object.keys(setupHistogram)) {
    assert.match(label, /^(N 200|U SUCCESS|Q 0|C 200|C 202|P 0|M SUCCESS)$/, `setup answered ${JSON.stringify(setupHistogram)}`);
  }

  // ---- the mixed load
  const seed = Number(process.env.RACE_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = prng(seed);
  const outcomes: string[] = [];
  const perProcess = [0, 0];
  /** Clock advances answered 200, per merchant: none may be lost among the order transactions of both processes. */
  const ticks = [0, 0];
  const anomalies: string[] = [];
  const refundSuccess = new Map<string, { m: number; amount: number; op: string }>();
  const closed = new Set<string>();
  const cancelled = new Set<string>();
  const voided = new Set<string>();
  const paid = new Map<string, number>();
  const key = (o: RaceOrder) => `${o.m}/${o.no}`;
  let refundSeq = 0;

  const runOp = async (i: number) => {
    const p = i % 2;
    perProcess[p]!++;
    const e = at[p]!;
    if (random() < 0.005) {
      const m = Math.floor(random() * 2);
      const r = await admin(p, 'POST', `/sandbox/merchants/${credentials[m]!.mchid}/clock`, { advance_seconds: 3 });
      outcomes.push(`tick ${r.status}`);
      if (r.status !== 200) anomalies.push(`tick → ${r.status}`);
      else ticks[m]!++;
      return;
    }
    const order = orders[Math.floor(random() * orders.length)]!;
    const c = credentials[order.m]!;
    const mc = calls[order.m]!;
    const op: Op = order.kind === 'native' ? weighted(random, NATIVE_OPS) : weighted(random, CODE_OPS);
    const refundAmount = random() < 0.7 ? 1 + Math.floor(random() * 40) : 41 + Math.floor(random() * 160);
    const newRefundNo = (prefix: string) => {
      const no = `${prefix}-${order.m}-${++refundSeq}`;
      order.refundNos.push(no);
      return no;
    };
    const pickRefundNo = () =>
      order.refundNos.length > 0 && random() < 0.8 ? order.refundNos[Math.floor(random() * order.refundNos.length)]! : `NONE-${order.m}-${i}`;
    let outcome: string;
    try {
      switch (op) {
        case 'pay':
        case 'confirm':
        case 'abandon': {
          const r = await admin(p, 'POST', `/sandbox/merchants/${c.mchid}/orders/${order.no}/${op}`);
          outcome = `${r.status}${r.body?.error ? ` ${r.body.error}` : ''}`;
          if (r.status >= 500) anomalies.push(`${op} ${order.no} → ${r.status} ${JSON.stringify(r.body)}`);
          if (r.status === 200 && r.body?.state === 'SUCCESS') paid.set(key(order), (paid.get(key(order)) ?? 0) + 1);
          break;
        }
        case 'v3.codepay.replay': {
          // PayCloud and APIv2 code payments have no APIv3 body to replay: those query instead.
          const r = order.codepayBody
            ? await mc.v3(e, 'POST', '/v3/pay/transactions/codepay', order.codepayBody)
            : await mc.v3(e, 'GET', `/v3/pay/transactions/out-trade-no/${order.no}?mchid=${c.mchid}`);
          outcome = `${order.codepayBody ? '' : '(query) '}${r.status}${r.code ? ` ${r.code}` : ''}`;
          break;
        }
        case 'v3.close': {
          const r = await mc.v3(e, 'POST', `/v3/pay/transactions/out-trade-no/${order.no}/close`, { mchid: c.mchid });
          outcome = `${r.status}${r.code ? ` ${r.code}` : ''}`;
          if (r.status === 204) closed.add(key(order));
          break;
        }
        case 'v2.close': {
          const r = await mc.v2(e, '/pay/closeorder', { out_trade_no: order.no });
          outcome = r.outcome;
          if (r.outcome === 'SUCCESS') closed.add(key(order));
          break;
        }
        case 'v3.reverse': {
          const r = await mc.v3(e, 'POST', `/v3/pay/transactions/out-trade-no/${order.no}/reverse`, { appid: c.appid, mchid: c.mchid });
          outcome = `${r.status}${r.code ? ` ${r.code}` : ''}`;
          if (r.status === 200) cancelled.add(key(order));
          break;
        }
        case 'v2.reverse': {
          const r = await mc.v2(e, '/secapi/pay/reverse', { out_trade_no: order.no }, 'HMAC-SHA256');
          outcome = r.outcome;
          if (r.outcome === 'SUCCESS') cancelled.add(key(order));
          break;
        }
        case 'pc.void': {
          const r = await mc.payCloud(e, 'order.revoker', { merchant_order_no: order.no });
          outcome = r.code;
          if (r.code === '0') voided.add(key(order));
          break;
        }
        case 'v3.refund': {
          const body = {
            out_trade_no: order.no,
            out_refund_no: newRefundNo('R3'),
            amount: { refund: refundAmount, total: AMOUNT, currency: 'CNY' },
          };
          order.v3Refunds.push(body);
          const r = await mc.v3(e, 'POST', '/v3/refund/domestic/refunds', body);
          outcome = `${r.status}${r.code ? ` ${r.code}` : ''}`;
          if (r.status === 200) refundSuccess.set(`${order.m}/${body.out_refund_no}`, { m: order.m, amount: body.amount.refund, op });
          break;
        }
        case 'v3.refund.replay': {
          const body = order.v3Refunds[Math.floor(random() * order.v3Refunds.length)];
          if (!body) {
            outcome = 'nothing to replay';
            break;
          }
          const r = await mc.v3(e, 'POST', '/v3/refund/domestic/refunds', body);
          outcome = `${r.status}${r.code ? ` ${r.code}` : ''}`;
          const no = String(body.out_refund_no);
          if (r.status === 200) {
            if (r.json?.out_refund_no !== no || r.json?.amount?.refund !== (body.amount as { refund: number }).refund) {
              anomalies.push(`refund replay ${no} answered another refund: ${JSON.stringify(r.json)}`);
            }
            refundSuccess.set(`${order.m}/${no}`, { m: order.m, amount: (body.amount as { refund: number }).refund, op });
          }
          break;
        }
        case 'v2.refund': {
          const no = newRefundNo('R2');
          const r = await mc.v2(
            e,
            '/secapi/pay/refund',
            {
              out_trade_no: order.no,
              out_refund_no: no,
              total_fee: String(AMOUNT),
              refund_fee: String(refundAmount),
            },
            random() < 0.5 ? 'MD5' : 'HMAC-SHA256',
          );
          outcome = r.outcome;
          if (r.outcome === 'SUCCESS') refundSuccess.set(`${order.m}/${no}`, { m: order.m, amount: refundAmount, op });
          break;
        }
        case 'pc.refund': {
          const no = newRefundNo('RP');
          const r = await mc.payCloud(e, 'order.refund.submit', {
            orig_merchant_order_no: order.no,
            merchant_order_no: no,
            price_currency: 'CNY',
            trans_amount: (refundAmount / 100).toFixed(2),
          });
          outcome = r.code;
          if (r.code === '0') refundSuccess.set(`${order.m}/${no}`, { m: order.m, amount: refundAmount, op });
          break;
        }
        case 'v3.query': {
          const r = await mc.v3(e, 'GET', `/v3/pay/transactions/out-trade-no/${order.no}?mchid=${c.mchid}`);
          outcome = `${r.status}${r.code ? ` ${r.code}` : ` ${r.json?.trade_state}`}`;
          break;
        }
        case 'v2.query': {
          const r = await mc.v2(e, '/pay/orderquery', { out_trade_no: order.no });
          outcome = r.outcome === 'SUCCESS' ? `SUCCESS ${r.fields.trade_state}` : r.outcome;
          break;
        }
        case 'pc.query': {
          const r = await mc.payCloud(e, 'order.query', { merchant_order_no: order.no });
          outcome = r.code === '0' ? `0 trans_status=${r.data?.trans_status}` : r.code;
          break;
        }
        case 'v3.refund.query': {
          const r = await mc.v3(e, 'GET', `/v3/refund/domestic/refunds/${pickRefundNo()}`);
          outcome = `${r.status}${r.code ? ` ${r.code}` : ` ${r.json?.status}`}`;
          break;
        }
        case 'pc.refund.query': {
          const r = await mc.payCloud(e, 'order.refund.query', { merchant_order_no: pickRefundNo() });
          outcome = r.code;
          break;
        }
        default:
          throw new Error(`unknown op ${op}`);
      }
    } catch (err) {
      outcome = `transport error`;
      anomalies.push(`${op} ${order.no} on process ${p}: ${(err as Error).message}`);
    }
    const label = `${op} → ${outcome}`;
    outcomes.push(label);
    // Anything but a business answer: a 5xx or 401 (APIv3), a return-level FAIL or SYSTEMERROR (APIv2), an envelope
    // that is unsigned, a 1xxx (our requests are well-formed) or 9999 (PayCloud).
    if (/→ (5\d\d|401)\b|FAIL:|SYSTEMERROR|→ (1\d{3}|9999|HTTP)/.test(label)) anomalies.push(`${label} (${order.m}/${order.no}, process ${p})`);
  };

  const started = Date.now();
  await runBounded(OPERATIONS, IN_FLIGHT, runOp);
  const loadMs = Date.now() - started;

  // ---- the store against the invariants and the answers
  const audited = await loadOrders(
    store.db,
    credentials.map((c) => c.mchid),
  );
  assert.equal(audited.length, 50);
  const violations = allViolations(audited);
  const mismatches: string[] = [];
  const byKey = new Map(audited.map((a) => [`${credentials.findIndex((c) => c.mchid === a.order.mchid)}/${a.order.outTradeNo}`, a]));
  const storedRefunds = new Map<string, { amount: number; cause: string }>();
  for (const a of audited) {
    const m = credentials.findIndex((c) => c.mchid === a.order.mchid);
    for (const r of a.refunds) if (r.outRefundNo) storedRefunds.set(`${m}/${r.outRefundNo}`, { amount: r.amount, cause: r.cause });
  }
  for (const [no, s] of refundSuccess) {
    const stored = storedRefunds.get(no);
    if (!stored) mismatches.push(`refund ${no} answered success (${s.op}) but is not in the store`);
    else if (stored.amount !== s.amount) mismatches.push(`refund ${no} answered ${s.amount}, stored ${stored.amount}`);
  }
  for (const [no, stored] of storedRefunds) {
    if (stored.cause === 'refund' && !refundSuccess.has(no)) mismatches.push(`refund ${no} is in the store but no request was answered with it`);
  }
  const final = (k: string): Order => byKey.get(k)!.order;
  for (const k of closed) if (final(k).state !== 'CLOSED') mismatches.push(`${k}: close answered success, final state ${final(k).state}`);
  for (const k of cancelled)
    if (!['CLOSED', 'REVOKED'].includes(final(k).state)) mismatches.push(`${k}: reverse answered success, final state ${final(k).state}`);
  // A PayCloud void of a failed payment answers 0 and leaves it PAYERROR (cancellation-semantics.md row 13-15 PV).
  for (const k of voided)
    if (!['CLOSED', 'REVOKED', 'PAYERROR'].includes(final(k).state)) mismatches.push(`${k}: void answered success, final state ${final(k).state}`);
  for (let m = 0; m < 2; m++) {
    const offset = (await admin(m, 'GET', `/sandbox/merchants/${credentials[m]!.mchid}/clock`)).body.offset_seconds;
    if (offset !== 360 + 3 * ticks[m]!) mismatches.push(`merchant ${m}: clock offset ${offset} s after 360 + ${ticks[m]} × 3 s of advances`);
  }
  for (const [k, n] of paid) {
    if (n > 1) mismatches.push(`${k}: the payer's payment succeeded ${n} times`);
    if (final(k).paidAt === null) mismatches.push(`${k}: payment answered success, order never paid`);
  }

  const figures = {
    seed,
    operations: outcomes.length,
    setupOperations: setupOutcomes.length,
    perProcess,
    clockTicks: ticks,
    durationMs: loadMs,
    operationsPerSecond: Math.round(outcomes.length / (loadMs / 1000)),
    startupMs,
    finalStates: histogram(audited.map((a) => a.order.state)),
    refunds: histogram(audited.flatMap((a) => a.refunds.map((r) => `${r.cause}/${r.protocol}`))),
    historyRows: audited.reduce((s, a) => s + a.history.length, 0),
    outboxRows: histogram(audited.flatMap((a) => a.outbox.map((o) => `${o.kind}/${o.status}`))),
    notificationsReceived: receiver.received.length,
  };
  console.log(`races: ${JSON.stringify(figures, null, 1)}`);
  console.log(`races: outcomes ${JSON.stringify(histogram(outcomes), null, 1)}`);
  for (const p of processes) if (p.stderr().trim()) console.log(`races: process ${p.pid} stderr: ${p.stderr().slice(0, 2000)}`);

  assert.ok(outcomes.length >= OPERATIONS, `${outcomes.length} operations`);
  assert.deepEqual(anomalies.slice(0, 20), [], `${anomalies.length} anomalous answers`);
  assert.deepEqual(violations, [], `${violations.length} invariant violations`);
  assert.deepEqual(mismatches, [], `${mismatches.length} answers the store contradicts`);
}
