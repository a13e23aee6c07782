/**
 * Set statements (src/store/set-statements.ts, statement-batch.ts): units of one shared transaction that issue
 * the same statement at once share one statement over arrays of their parameters. What a user of the store sees
 * must not change: each unit gets its own rows, every value is stored exactly as the single statement stores it,
 * a replayed nonce is refused for its unit only — and, on the wire, the statements are one per kind, not one per unit.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Merchant } from '../../src/core/merchant.ts';
import { NonceReplayedError, type RequestNonce } from '../../src/core/nonce-ledger.ts';
import type { HistoryEntry, Order, Refund } from '../../src/core/order.ts';
import { createOrder } from '../../src/operations/create-order.ts';
import { payByCode } from '../../src/operations/pay-by-code.ts';
import { refundOrder } from '../../src/operations/refund-order.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant, byNo, contextOf, ManualClock, newOrder } from '../helpers/context.ts';
import { testDatabases } from '../helpers/database.ts';
import { anOrder, T0 } from '../helpers/orders.ts';
import { startRoundTripCounter } from '../helpers/round-trip-counter.ts';

const AWKWARD = 'quote " apostrophe \' backslash \\ {brace} , comma NULL tab \t newline \n 中文 😀';
const NOW = T0 + 60_000;

/** A paid order of its own per unit, with values that array literals must carry exactly. */
const paidOrder = (i: number): Order =>
  anOrder('SUCCESS', 'MICROPAY', {
    id: `o-set-${i}`,
    outTradeNo: `SET-${i}`,
    transactionId: `42000000000000000000000000${10 + i}`,
    amount: Number.MAX_SAFE_INTEGER - i,
    description: `${AWKWARD} ${i}`,
    attach: i % 2 ? null : AWKWARD,
    notifyUrl: i % 2 ? 'https://example.com/n?a=1&b="2"' : null,
    extra: { nested: { list: [1, 'two', null, { three: AWKWARD }] }, i, empty: '' },
  });
/** The change a reverse makes, and an awkward text in a fact an event may set (a state change writes only those). */
const reversed = (o: Order): Order => ({ ...o, state: 'REVOKED', refundedAmount: o.amount, refundCount: 1, transactionId: `${AWKWARD} ${o.id}` });
const historyOf = (o: Order, refundId: string | null): HistoryEntry => ({
  orderId: o.id,
  from: 'SUCCESS',
  to: 'REVOKED',
  event: 'revoke',
  cause: 'reverse',
  protocol: 'wechatpay-v3',
  requestId: `req ${AWKWARD}`,
  at: NOW,
  refundId,
});
const refundOf = (o: Order): Refund => ({
  refundId: `r-${o.id}`,
  orderId: o.id,
  mchid: o.mchid,
  outRefundNo: null,
  amount: o.amount,
  currency: o.currency,
  status: 'SUCCESS',
  cause: 'reverse',
  reason: AWKWARD,
  notifyUrl: null,
  fingerprint: 'fp',
  protocol: 'wechatpay-v3',
  createdAt: NOW,
  settleAt: NOW,
  successAt: NOW,
});
const nonce = (n: string, patch: Partial<RequestNonce> = {}): RequestNonce => ({ mchid: '1900000001', nonce: n, expiresAt: NOW + 300_000, now: NOW, ...patch });

for (const database of testDatabases()) {
  describe(`set statements (${database.name})`, () => {
    after(() => database.cleanup());
    const opened = async (databaseUrl?: string) => {
      const options = await database.storeOptions();
      const store = await openStore({ ...options, ...(databaseUrl ? { databaseUrl } : {}) });
      after(() => store.db.close());
      return store;
    };
    const withOrders = async (store: SqlStore, n: number, first = 0) => {
      const orders = Array.from({ length: n }, (_, i) => paidOrder(first + i));
      await Promise.all(orders.map((o) => store.transaction((tx) => tx.insertOrder(o))));
      return orders;
    };
    /** A reverse as the operations do it: nonce, order locked with its merchant, one change. */
    const reverse = (store: SqlStore, ref: Order | { mchid: string; outTradeNo: string }, n: RequestNonce, withRefund: boolean) =>
      store.recordingWith(n).transaction(async (tx) => {
        const { merchant, order } = await tx.lockMerchantOrder({ mchid: ref.mchid, outTradeNo: 'outTradeNo' in ref ? ref.outTradeNo : '' });
        if (order) tx.recordChange(reversed(order), historyOf(order, withRefund ? `r-${order.id}` : null), withRefund ? refundOf(order) : null);
        return { merchant: merchant?.mchid ?? null, order: order?.outTradeNo ?? null };
      });

    test('reverses at once: each unit its own order, every value stored as the single statements store it', async () => {
      const store = await opened();
      const merchant: Merchant = await aMerchant(store);
      const orders = await withOrders(store, 5);
      const before = store.db.sharedFigures();
      const answers = await Promise.all([
        ...orders.map((o, i) => reverse(store, o, nonce(`n-${i}`), i % 2 === 0)),
        reverse(store, { mchid: merchant.mchid, outTradeNo: 'NO-SUCH' }, nonce('n-missing'), true),
        reverse(store, { mchid: '1999999999', outTradeNo: 'SET-1' }, nonce('n-stranger', { mchid: '1999999999' }), true),
      ]);
      assert.deepEqual(answers, [
        ...orders.map((o) => ({ merchant: merchant.mchid, order: o.outTradeNo })),
        { merchant: merchant.mchid, order: null },
        { merchant: null, order: null },
      ]);
      const later = store.db.sharedFigures();
      assert.deepEqual([later.transactions - before.transactions, later.units - before.units, later.reruns - before.reruns], [1, 7, 0]);
      for (const [i, o] of orders.entries()) {
        const seen = await store.read(async (tx) => {
          const order = await tx.lockOrder({ mchid: o.mchid, outTradeNo: o.outTradeNo });
          return { order, history: await tx.listHistory(o.id), refunds: await tx.listRefunds(o.id) };
        });
        assert.deepEqual(seen.order, reversed(o));
        assert.deepEqual(seen.history, [historyOf(o, i % 2 === 0 ? `r-${o.id}` : null)]);
        assert.deepEqual(seen.refunds, i % 2 === 0 ? [refundOf(o)] : []);
      }
      const nonces = await store.db.query<{ nonce: string }>('SELECT nonce FROM auth_nonces ORDER BY nonce');
      assert.deepEqual(
        nonces.rows.map((r) => r.nonce),
        ['n-0', 'n-1', 'n-2', 'n-3', 'n-4', 'n-missing', 'n-stranger'],
      );
    });

    test('reads at once: each read its own order; locked or not, by out_trade_no, transaction_id or id', async () => {
      const store = await opened();
      await aMerchant(store);
      const orders = await withOrders(store, 3, 10);
      const refs = [
        { mchid: orders[0]!.mchid, outTradeNo: orders[0]!.outTradeNo },
        { mchid: orders[1]!.mchid, transactionId: orders[1]!.transactionId! },
        { mchid: orders[2]!.mchid, orderId: orders[2]!.id },
      ];
      for (const refsOnce of [refs, [...refs, ...refs]]) {
        const read = await Promise.all(
          refsOnce.map((ref, i) => store.recordingWith(nonce(`read-${refsOnce.length}-${i}`)).read((tx) => tx.lockMerchantOrder(ref))),
        );
        assert.deepEqual(
          read.map((r) => r.order),
          refsOnce.map((_, i) => orders[i % 3]),
        );
        const locked = await Promise.all(refsOnce.slice(0, 3).map((ref) => store.transaction((tx) => tx.lockMerchantOrder(ref))));
        assert.deepEqual(
          locked.map((r) => r.order),
          orders,
        );
      }
    });

    test('nonces at once: a replay fails its unit only; an expired one is taken again; one nonce twice: once', async () => {
      const store = await opened();
      await aMerchant(store);
      await store.remember(nonce('used'));
      await store.remember(nonce('expired', { expiresAt: NOW - 1, now: NOW - 300_000 }));
      const orders = await withOrders(store, 4, 20);
      const outcomes = await Promise.allSettled([
        reverse(store, orders[0]!, nonce('fresh-0'), true),
        reverse(store, orders[1]!, nonce('used'), true),
        reverse(store, orders[2]!, nonce('expired'), true),
      ]);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? o.value.order : (o.reason as Error).constructor.name)),
        ['SET-20', NonceReplayedError.name, 'SET-22'],
      );
      const states = async () => (await store.db.query<{ state: string }>('SELECT state FROM orders ORDER BY out_trade_no')).rows.map((r) => r.state);
      assert.deepEqual(await states(), ['REVOKED', 'SUCCESS', 'REVOKED', 'SUCCESS'], 'the replay changed nothing');

      const twice = await Promise.allSettled([
        store.recordingWith(nonce('twice')).read(async (tx) => (await tx.lockMerchantOrder(orders[1]!)).order?.id),
        store.recordingWith(nonce('twice')).read(async (tx) => (await tx.lockMerchantOrder(orders[3]!)).order?.id),
      ]);
      assert.deepEqual(twice.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
      assert.ok((twice.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason instanceof NonceReplayedError);
    });

    test('creates, code payments and refunds at once: each as alone, a taken number once, every row written', async () => {
      const store = await opened();
      await aMerchant(store);
      const ctx = contextOf(store, new ManualClock());
      const nos = ['K1', 'K2', 'K3', 'K4'];
      const before = store.db.sharedFigures();
      const created = await Promise.all([...nos.map((no) => createOrder(ctx, newOrder(no), 'wechatV3')), createOrder(ctx, newOrder('K1'), 'wechatV3')]);
      assert.deepEqual(
        created.map((c) => [c.order.outTradeNo, c.order.state]),
        [...nos, 'K1'].map((no) => [no, 'NOTPAY']),
      );
      assert.equal(created[4]!.order.id, created[0]!.order.id, 'the same create twice: one order');
      const later = store.db.sharedFigures();
      // One transaction of five; the second K1 found the first's (its insert answered no row) and claimed it, so that
      // transaction rolled back and all five ran again alone.
      assert.deepEqual([later.transactions - before.transactions, later.units - before.units, later.reruns - before.reruns], [1, 5, 5]);

      // At the store: inserts at once answer each for its own row — a number taken before answers false, alone too.
      const [taken, ...fresh] = await withOrders(store, 1, 40).then(async ([t]) => [t!, paidOrder(41), paidOrder(42)]);
      const inserted = await Promise.all(
        [...fresh, { ...paidOrder(43), outTradeNo: taken.outTradeNo }].map((o) => store.transaction((tx) => tx.insertOrder(o))),
      );
      assert.deepEqual(inserted, [true, true, false]);
      const takenRefund = { ...refundOf(fresh[0]!), refundId: 'r-taken', outRefundNo: 'RF-TAKEN' };
      await store.transaction((tx) => tx.insertRefund(takenRefund));
      const refundsInserted = await Promise.all(
        [
          { ...refundOf(fresh[0]!), outRefundNo: 'RF-NEW' },
          { ...refundOf(fresh[1]!), outRefundNo: 'RF-TAKEN' },
        ].map((r) => store.transaction((tx) => tx.insertRefund(r))),
      );
      assert.deepEqual(refundsInserted, [true, false]);
      assert.equal(store.db.sharedFigures().reruns - later.reruns, 0, 'a taken number is no failure: no unit ran again');
      assert.deepEqual(created.map((c) => c.replayed).sort(), [false, false, false, false, true]);

      const codes = ['M1', 'M2', 'M3'];
      const paid = await Promise.all(codes.map((no) => payByCode(ctx, newOrder(no, { tradeType: 'MICROPAY' }), { kind: 'pay' }, 'wechatV3')));
      assert.deepEqual(
        paid.map((p) => p.order.state),
        ['SUCCESS', 'SUCCESS', 'SUCCESS'],
      );
      const refund = (no: string, outRefundNo: string) =>
        refundOrder(
          ctx,
          {
            order: byNo(no),
            outRefundNo,
            amount: 100,
            currency: 'CNY',
            statedTotal: 1000,
            reason: null,
            notifyUrl: 'http://127.0.0.1:9/r',
            fingerprint: `fp-${outRefundNo}`,
          },
          'wechatV3',
        );
      const refunded = await Promise.allSettled([refund('M1', 'RF1'), refund('M2', 'RF2'), refund('M3', 'RF3')]);
      assert.deepEqual(
        refunded.map((r) => r.status === 'fulfilled' && r.value.order.state),
        ['REFUND', 'REFUND', 'REFUND'],
      );
      const rows = async (sql: string) => (await store.db.query<{ k: string }>(sql)).rows.map((r) => r.k);
      assert.deepEqual(
        await rows(
          `SELECT o.out_trade_no || ':' || string_agg(h.cause, ',' ORDER BY h.id) AS k FROM orders o JOIN order_history h ON h.order_id = o.id GROUP BY o.out_trade_no ORDER BY 1`,
        ),
        [
          'K1:created',
          'K2:created',
          'K3:created',
          'K4:created',
          'M1:created,paid_by_code,refund',
          'M2:created,paid_by_code,refund',
          'M3:created,paid_by_code,refund',
        ],
      );
      assert.deepEqual(await rows(`SELECT out_refund_no || ':' || amount AS k FROM refunds WHERE out_refund_no LIKE 'RF_' ORDER BY 1`), [
        'RF1:100',
        'RF2:100',
        'RF3:100',
      ]);
      assert.deepEqual(await rows(`SELECT o.out_trade_no || ':' || x.kind AS k FROM outbox x JOIN orders o ON o.id = x.order_id ORDER BY 1`), [
        'M1:payment',
        'M1:refund',
        'M2:payment',
        'M2:refund',
        'M3:payment',
        'M3:refund',
      ]);
    });

    test('on the wire: one statement per kind for all units, not one per unit', {
      skip: database.name !== 'postgres' && 'PostgreSQL server only',
    }, async () => {
      const { databaseUrl } = await database.storeOptions();
      const counter = await startRoundTripCounter(databaseUrl!);
      after(() => counter.close());
      const store = await opened(counter.url);
      await aMerchant(store);
      const orders = await withOrders(store, 8, 30);
      const before = store.db.sharedFigures();
      counter.reset();
      await Promise.all(orders.map((o, i) => reverse(store, o, nonce(`wire-${i}`), true)));
      const later = store.db.sharedFigures();
      assert.deepEqual([later.transactions - before.transactions, later.units - before.units, later.reruns - before.reruns], [1, 8, 0]);
      // BEGIN; the nonces; the orders locked with their merchant; their changes; COMMIT. Alone: 5 each, 40.
      assert.equal(counter.statements(), 5);
      assert.ok(counter.count() <= 3, `${counter.count()} round trips`);
    });
  });
}
