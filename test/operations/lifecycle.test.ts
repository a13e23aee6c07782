/** Operations on a real store (PGlite, and the PostgreSQL server when TEST_DATABASE_URL is set). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { closeOrder } from '../../src/operations/close-order.ts';
import { createOrder } from '../../src/operations/create-order.ts';
import { payByCode } from '../../src/operations/pay-by-code.ts';
import { answerPasswordPrompt, payOrder } from '../../src/operations/payer-actions.ts';
import { queryOrder } from '../../src/operations/query-order.ts';
import { queryRefund } from '../../src/operations/query-refund.ts';
import { refundOrder, type RefundCommand } from '../../src/operations/refund-order.ts';
import { reverseOrder } from '../../src/operations/reverse-order.ts';
import { sweepOrders } from '../../src/operations/sweep-orders.ts';
import { voidOrder } from '../../src/operations/void-order.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant, byNo, contextOf, ManualClock, newOrder } from '../helpers/context.ts';
import { testDatabases } from '../helpers/database.ts';

const refusal = (code: string) => (err: unknown) => err instanceof CoreError && err.code === code;

for (const database of testDatabases()) {
  describe(`operations on ${database.name}`, () => {
    after(() => database.cleanup());
    const clock = new ManualClock();
    let store: SqlStore;
    let ctx: ReturnType<typeof contextOf>;
    // Opened when the suite runs, not in its body: node:test runs a suite's body as soon as it is declared, so the
    // server's setup would overlap the PGlite suite's tests, and a chain of awaited PGlite queries never yields to
    // the event loop — node-postgres's 5 s read timer then fired before the answer waiting on its socket was read.
    before(async () => {
      store = await database.open();
      await aMerchant(store);
      ctx = contextOf(store, clock);
    });

    test('create is idempotent: same request → same order, other parameters → conflict', async () => {
      const first = await createOrder(ctx, newOrder('C1'), 'wechatV3');
      const again = await createOrder(ctx, newOrder('C1'), 'wechatV3');
      assert.equal(again.replayed, true);
      assert.equal(again.order.id, first.order.id);
      await assert.rejects(createOrder(ctx, newOrder('C1', { fingerprint: 'other' }), 'wechatV3'), refusal('IDEMPOTENCY_CONFLICT'));
      await assert.rejects(createOrder(ctx, newOrder('C1', { tradeType: 'JSAPI' }), 'wechatV3'), refusal('TRADE_TYPE_CONFLICT'));
    });

    test('code payment → reverse at +16 s refunds in full, once; repeats answer the same', async () => {
      const paid = await payByCode(ctx, newOrder('R1', { tradeType: 'MICROPAY' }), { kind: 'pay' }, 'wechatV3');
      assert.equal(paid.order.state, 'SUCCESS');
      await assert.rejects(reverseOrder(ctx, byNo('R1'), 'wechatV3'), refusal('TOO_EARLY'));
      clock.advance(16_000);
      const reversed = await reverseOrder(ctx, byNo('R1'), 'wechatV3');
      assert.equal(reversed.order.state, 'REVOKED');
      assert.equal(reversed.refund?.amount, 1000);
      const repeat = await reverseOrder(ctx, byNo('R1'), 'wechatV3');
      assert.equal(repeat.changed, false);
      const refunds = await store.read((tx) => tx.listRefunds(paid.order.id));
      assert.deepEqual(
        refunds.map((r) => [r.cause, r.amount, r.outRefundNo]),
        [['reverse', 1000, null]],
      );
      const history = await store.read((tx) => tx.listHistory(paid.order.id));
      assert.deepEqual(
        history.map((h) => `${h.from}→${h.to}:${h.cause}`),
        ['null→NOTPAY:created', 'NOTPAY→SUCCESS:paid_by_code', 'SUCCESS→REVOKED:reverse'],
      );
    });

    test('password prompt: confirm after 10 s pays; silence times out to PAYERROR at 30 s', async () => {
      await payByCode(ctx, newOrder('P1', { tradeType: 'MICROPAY' }), { kind: 'password', confirmAfterMs: 10_000 }, 'wechatV3');
      await payByCode(ctx, newOrder('P2', { tradeType: 'MICROPAY' }), { kind: 'password', confirmAfterMs: null }, 'wechatV3');
      clock.advance(11_000);
      assert.equal((await queryOrder(ctx, byNo('P1'))).state, 'SUCCESS');
      assert.equal((await queryOrder(ctx, byNo('P2'))).state, 'USERPAYING');
      await assert.rejects(reverseOrder(ctx, byNo('P2'), 'wechatV3'), refusal('TOO_EARLY'), 'too early comes before user paying');
      clock.advance(9_000);
      await assert.rejects(reverseOrder(ctx, byNo('P2'), 'wechatV3'), refusal('USER_PAYING'));
      clock.advance(11_000);
      assert.equal((await queryOrder(ctx, byNo('P2'))).state, 'PAYERROR');
      assert.equal((await reverseOrder(ctx, byNo('P2'), 'wechatV3')).order.state, 'REVOKED');
    });

    test('payer confirm and abandon answer the prompt directly', async () => {
      await payByCode(ctx, newOrder('P3', { tradeType: 'MICROPAY' }), { kind: 'password', confirmAfterMs: null }, 'wechatV3');
      assert.equal((await answerPasswordPrompt(ctx, byNo('P3'), 'abandon')).state, 'PAYERROR');
      await assert.rejects(answerPasswordPrompt(ctx, byNo('P3'), 'confirm'), refusal('PAYMENT_FAILED'));
    });

    test('close after 5 min closes; the payer cannot pay a closed order', async () => {
      await createOrder(ctx, newOrder('N1'), 'wechatV3');
      await assert.rejects(closeOrder(ctx, byNo('N1'), 'wechatV3'), refusal('TOO_EARLY'));
      clock.advance(5 * 60_000);
      assert.equal((await closeOrder(ctx, byNo('N1'), 'wechatV3')).order.state, 'CLOSED');
      assert.equal((await closeOrder(ctx, byNo('N1'), 'wechatV3')).changed, false, 'v3 repeat close succeeds');
      await assert.rejects(closeOrder(ctx, byNo('N1'), 'wechatV2'), refusal('ORDER_CLOSED'));
      await assert.rejects(payOrder(ctx, byNo('N1')), refusal('ORDER_CLOSED'));
      await assert.rejects(createOrder(ctx, newOrder('N1'), 'wechatV3'), refusal('ORDER_CLOSED'));
    });

    test('refunds: partial twice, over-refund refused, same out_refund_no replays, other amount conflicts', async () => {
      await createOrder(ctx, newOrder('F1'), 'wechatV3');
      await payOrder(ctx, byNo('F1'));
      const cmd = (no: string, amount: number): RefundCommand => ({
        order: byNo('F1'),
        outRefundNo: no,
        amount,
        currency: 'CNY',
        statedTotal: 1000,
        reason: null,
        notifyUrl: null,
        fingerprint: `${no}:${amount}`,
      });
      const r1 = await refundOrder(ctx, cmd('F1-1', 300), 'wechatV3');
      assert.equal(r1.refund.status, 'PROCESSING');
      await refundOrder(ctx, cmd('F1-2', 300), 'wechatV3');
      await assert.rejects(refundOrder(ctx, cmd('F1-3', 401), 'wechatV3'), refusal('REFUND_AMOUNT_EXCEEDED'));
      const replay = await refundOrder(ctx, cmd('F1-1', 300), 'wechatV3');
      assert.equal(replay.replayed, true);
      assert.equal(replay.refund.refundId, r1.refund.refundId);
      await assert.rejects(refundOrder(ctx, cmd('F1-1', 301), 'wechatV3'), refusal('IDEMPOTENCY_CONFLICT'));
      await assert.rejects(refundOrder(ctx, { ...cmd('F1-4', 1), statedTotal: 999 }, 'wechatV3'), refusal('AMOUNT_MISMATCH'));
      const order = await queryOrder(ctx, byNo('F1'));
      assert.deepEqual([order.state, order.refundedAmount, order.refundCount], ['REFUND', 600, 2]);
      clock.advance(1000);
      assert.equal((await queryRefund(ctx, '1900000001', { outRefundNo: 'F1-1' })).refund.status, 'SUCCESS');
      await assert.rejects(reverseOrder(ctx, byNo('F1'), 'wechatV3'), refusal('USE_REFUND'));
    });

    test('a reverse refund is not a merchant refund', async () => {
      await payByCode(ctx, newOrder('R2', { tradeType: 'MICROPAY' }), { kind: 'pay' }, 'wechatV3');
      clock.advance(15_000);
      const { refund } = await reverseOrder(ctx, byNo('R2'), 'wechatV3');
      await assert.rejects(queryRefund(ctx, '1900000001', { refundId: refund!.refundId }), refusal('REFUND_NOT_FOUND'));
    });

    test('void: unpaid → REVOKED; paid QR order → use refund', async () => {
      await createOrder(ctx, newOrder('V1'), 'paycloud');
      await createOrder(ctx, newOrder('V2'), 'paycloud');
      await payOrder(ctx, byNo('V2'));
      clock.advance(16_000);
      assert.equal((await voidOrder(ctx, byNo('V1'))).order.state, 'REVOKED');
      await assert.rejects(voidOrder(ctx, byNo('V2')), refusal('USE_REFUND'));
    });

    test('the sweeper closes expired orders on the merchant clock', async () => {
      await createOrder(ctx, newOrder('E1', { timeExpire: clock.now() + 60_000 }), 'wechatV3');
      assert.equal(await store.advanceClock('1900000001', 61_000), 61_000);
      const visited = await sweepOrders(ctx, store);
      assert.ok(visited >= 1);
      const order = await store.read((tx) => tx.lockOrder(byNo('E1')));
      assert.equal(order?.state, 'CLOSED');
    });
  });
}
