/**
 * Concurrent operations on one order from two "processes" (two connection pools) on the PostgreSQL server:
 * the result must equal some serial order. PGlite has one connection and never contends a row lock, so this
 * runs only when TEST_DATABASE_URL is set.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isCoreError } from '../../src/core/errors.ts';
import { closeOrder } from '../../src/operations/close-order.ts';
import { createOrder } from '../../src/operations/create-order.ts';
import { payByCode } from '../../src/operations/pay-by-code.ts';
import { payOrder } from '../../src/operations/payer-actions.ts';
import { queryOrder } from '../../src/operations/query-order.ts';
import { refundOrder } from '../../src/operations/refund-order.ts';
import { reverseOrder } from '../../src/operations/reverse-order.ts';
import { openStore } from '../../src/store/open-store.ts';
import { aMerchant, byNo, contextOf, ManualClock, newOrder } from '../helpers/context.ts';
import { postgresOnly } from '../helpers/database.ts';
import { orderViolations } from '../helpers/invariants.ts';

const database = postgresOnly();

describe('200 concurrent operations on one order (PostgreSQL server)', { skip: database ? false : 'TEST_DATABASE_URL not set' }, async () => {
  if (!database) return;
  after(() => database.cleanup());
  const options = await database.storeOptions();
  const a = await openStore(options);
  const b = await openStore(options);
  after(async () => {
    await a.db.close();
    await b.db.close();
  });
  await aMerchant(a);
  const clock = new ManualClock();
  const contexts = [contextOf(a, clock), contextOf(b, clock)];

  async function run(outTradeNo: string, make: (i: number) => (ctx: (typeof contexts)[0]) => Promise<unknown>) {
    // Shuffled so that no operation kind reliably starts first.
    const indices = Array.from({ length: 200 }, (_, i) => i).sort(() => Math.random() - 0.5);
    const outcomes: string[] = [];
    await Promise.all(
      indices.map((i) =>
        make(i)(contexts[i % 2]!).then(
          () => {
            outcomes[i] = 'ok';
          },
          (err) => {
            if (!isCoreError(err)) throw err;
            outcomes[i] = err.code;
          },
        ),
      ),
    );
    const order = await queryOrder(contexts[0]!, byNo(outTradeNo));
    const { refunds, history } = await a.read(async (tx) => ({ refunds: await tx.listRefunds(order.id), history: await tx.listHistory(order.id) }));
    assert.deepEqual(orderViolations(order, refunds, history), []);
    return { order, refunds, history, outcomes };
  }

  test('native order: pay / close / reverse / refund race', async () => {
    await createOrder(contexts[0]!, newOrder('RACE-N'), 'wechatV3');
    clock.advance(6 * 60_000); // every operation is inside its window
    const { order, refunds, outcomes } = await run('RACE-N', (i) => {
      switch (i % 4) {
        case 0:
          return (ctx) => payOrder(ctx, byNo('RACE-N'));
        case 1:
          return (ctx) => closeOrder(ctx, byNo('RACE-N'), 'wechatV3');
        case 2:
          return (ctx) => reverseOrder(ctx, byNo('RACE-N'), 'wechatV3');
        default:
          return (ctx) =>
            refundOrder(
              ctx,
              {
                order: byNo('RACE-N'),
                outRefundNo: `RN-${i}`,
                amount: 70,
                currency: 'CNY',
                statedTotal: 1000,
                reason: null,
                notifyUrl: null,
                fingerprint: `RN-${i}`,
              },
              'wechatV3',
            );
      }
    });
    const paid = outcomes.filter((o, i) => i % 4 === 0 && o === 'ok').length;
    assert.ok(paid <= 1, 'paid at most once');
    if (order.paidAt === null) assert.equal(refunds.length, 0);
    else assert.equal(refunds.length, Math.floor(1000 / 70), 'refunds stop at the paid amount');
    console.log(`native race: final ${order.state}, ${refunds.length} refunds, outcomes ${JSON.stringify(tally(outcomes))}`);
  });

  test('paid code payment: reverse / refund race creates at most one reverse refund', async () => {
    await payByCode(contexts[0]!, newOrder('RACE-C', { tradeType: 'MICROPAY' }), { kind: 'pay' }, 'wechatV3');
    clock.advance(20_000);
    const { order, refunds, outcomes } = await run('RACE-C', (i) =>
      i % 2 === 0
        ? (ctx) => reverseOrder(ctx, byNo('RACE-C'), 'wechatV3')
        : (ctx) =>
            refundOrder(
              ctx,
              {
                order: byNo('RACE-C'),
                outRefundNo: `RC-${i}`,
                amount: 30,
                currency: 'CNY',
                statedTotal: 1000,
                reason: null,
                notifyUrl: null,
                fingerprint: `RC-${i}`,
              },
              'wechatV3',
            ),
    );
    const reverseRefunds = refunds.filter((r) => r.cause === 'reverse');
    if (order.state === 'REVOKED') assert.equal(reverseRefunds.length, 1);
    else assert.equal(reverseRefunds.length, 0);
    assert.ok(refunds.reduce((s, r) => s + r.amount, 0) <= 1000);
    console.log(`code-payment race: final ${order.state}, ${refunds.length} refunds, outcomes ${JSON.stringify(tally(outcomes))}`);
  });
});

function tally(outcomes: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}
