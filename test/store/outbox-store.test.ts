/**
 * The notification worker's claim: it leases the events due on their own merchant's clock (a sandbox merchant's
 * clock may run ahead), and only those — and it finds them without reading the pending events still waiting out
 * their back-off, which a receiver that is down piles up by the hundred thousand while the worker claims twice a
 * second.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CLAIM_DUE, outboxStore } from '../../src/store/outbox-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant } from '../helpers/context.ts';
import { testDatabases } from '../helpers/database.ts';
import { howItReads } from '../helpers/query-plan.ts';
import { anOrder, DAY, MINUTE } from '../helpers/orders.ts';

const NOW = Date.UTC(2026, 5, 1);

/** `count` pending events of the merchant's order, due at `dueAt`, `dueAt + 1`, … */
async function pending(store: SqlStore, mchid: string, dueAt: number, count = 1): Promise<void> {
  await store.db.query(
    `INSERT INTO outbox (mchid, order_id, kind, protocol, url, due_at, created_at)
     SELECT $1, $2, 'payment', 'wechatpay-v3', 'https://receiver.example/notify', $3::bigint + g - 1, $4 FROM generate_series(1, $5::int) g`,
    [mchid, `order-${mchid}`, dueAt, NOW - DAY, count],
  );
}

async function withOrders(store: SqlStore, ...merchants: string[]): Promise<void> {
  for (const mchid of merchants) {
    await aMerchant(store, mchid);
    await store.transaction((tx) => tx.insertOrder(anOrder('SUCCESS', 'NATIVE', { id: `order-${mchid}`, mchid, outTradeNo: 'T1', createdAt: NOW - DAY })));
  }
}

for (const database of testDatabases()) {
  describe(`the outbox's claim of due events (${database.name})`, () => {
    after(() => database.cleanup());

    test("leases the events due on their own merchant's clock, and only those", async () => {
      const store = await database.open();
      await withOrders(store, '1900000001', '1900000002');
      await store.advanceClock('1900000002', DAY);
      await pending(store, '1900000001', NOW - MINUTE);
      await pending(store, '1900000001', NOW + MINUTE);
      await pending(store, '1900000002', NOW + DAY - MINUTE);
      await pending(store, '1900000002', NOW + DAY + MINUTE);
      const claimed = await outboxStore(store.db).claimDue(NOW, 60_000, 100);
      assert.deepEqual(claimed.map((e) => `${e.mchid} ${e.dueAt - NOW}`).sort(), [`1900000001 ${-MINUTE}`, `1900000002 ${DAY - MINUTE}`]);
      assert.deepEqual(await outboxStore(store.db).claimDue(NOW, 60_000, 100), [], 'leased: not claimed again while the lease lasts');
    });

    test('reads none of the pending events still waiting out their back-off', { timeout: 120_000 }, async () => {
      const store = await database.open();
      await withOrders(store, '1900000001', '1900000002');
      // A receiver down for a while: 20,000 events waiting for their next attempt, one due now.
      await pending(store, '1900000001', NOW + 30 * MINUTE, 20_000);
      await pending(store, '1900000002', NOW - MINUTE);
      await store.db.exec('ANALYZE outbox');
      const plan = await howItReads(store.db, CLAIM_DUE, [NOW, 16, 2 ** 31 - 1, [], []]);
      assert.ok(
        plan.rowsReadOf('outbox').every((n) => n <= 1),
        `outbox rows read per node: ${plan.rowsReadOf('outbox')}`,
      );
      assert.equal(plan.rowsDropped, 0, 'none read and dropped by a filter or the join');
    });
  });
}
