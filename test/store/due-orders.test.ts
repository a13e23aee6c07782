/**
 * The sweeper's search for due orders: it finds the orders whose time has come on their own merchant's clock (a
 * sandbox merchant's clock may run ahead), and only those — and it finds them without reading the open orders that
 * are not due, which a provider holds by the hundred thousand (native orders wait two hours for their payer) while
 * the sweeper looks every second.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Order } from '../../src/core/order.ts';
import { ORDER_COLUMNS } from '../../src/store/rows.ts';
import { DUE_ORDERS, type SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant } from '../helpers/context.ts';
import { testDatabases } from '../helpers/database.ts';
import { howItReads } from '../helpers/query-plan.ts';
import { anOrder, DAY, MINUTE } from '../helpers/orders.ts';

const NOW = Date.UTC(2026, 5, 1);
const open = (id: string, mchid: string, expiresAt: number): Order =>
  anOrder('NOTPAY', 'NATIVE', { id, mchid, outTradeNo: `T-${id}`, createdAt: NOW - DAY, expiresAt });
const insert = (store: SqlStore, orders: Order[]) => Promise.all(orders.map((o) => store.transaction((tx) => tx.insertOrder(o))));

/** `count` copies of the order `id`, in one statement; each copy has its own id, number and (if paid) transaction id. */
async function copies(store: SqlStore, id: string, count: number): Promise<void> {
  const unique = new Set(['id', 'out_trade_no', 'transaction_id']);
  const copied = ORDER_COLUMNS.map((c) => (unique.has(c) ? `${c} || '-' || g` : c)).join(', ');
  await store.db.query(`INSERT INTO orders (${ORDER_COLUMNS.join(', ')}) SELECT ${copied} FROM orders, generate_series(1, $2::int) g WHERE id = $1`, [
    id,
    count,
  ]);
}

for (const database of testDatabases()) {
  describe(`the sweeper's due orders (${database.name})`, () => {
    after(() => database.cleanup());

    test("finds the orders due on their own merchant's clock, and only those", async () => {
      const store = await database.open();
      await aMerchant(store, '1900000001');
      await aMerchant(store, '1900000002');
      await store.advanceClock('1900000002', DAY);
      await insert(store, [
        open('a-due', '1900000001', NOW - MINUTE),
        open('a-later', '1900000001', NOW + MINUTE),
        open('b-due', '1900000002', NOW + DAY - MINUTE),
        open('b-later', '1900000002', NOW + DAY + MINUTE),
      ]);
      const due = await store.dueOrders(NOW, 100);
      assert.deepEqual(due.map((d) => `${d.mchid} ${'orderId' in d ? d.orderId : ''}`).sort(), ['1900000001 a-due', '1900000002 b-due']);
    });

    test('reads no open order that is not due', async () => {
      const store = await database.open();
      // A provider's sub-merchants: with a handful, PostgreSQL would look each one's due orders up by itself.
      for (let i = 1; i <= 20; i++) await aMerchant(store, String(1900000000 + i));
      await insert(store, [open('waiting', '1900000001', NOW + 2 * 60 * MINUTE)]);
      // 20,000 more like it, waiting for their payer.
      await copies(store, 'waiting', 20_000);
      await store.db.exec('ANALYZE orders');
      await store.db.exec('ANALYZE merchants');
      const plan = await howItReads(store.db, DUE_ORDERS, [NOW, 100]);
      assert.deepEqual(plan.rowsReadOf('orders'), [0], 'not one open order read');
      assert.equal(plan.rowsDropped, 0, 'none read and dropped by the join either');
      assert.deepEqual(await store.dueOrders(NOW, 100), []);
      assert.equal((await store.dueOrders(NOW + 3 * 60 * MINUTE, 50_000)).length, 20_001);
    });

    test('reads none of the orders that have nothing due (paid ones), however many', { timeout: 120_000 }, async () => {
      const store = await database.open();
      await aMerchant(store, '1900000001');
      // Most of an order core's orders at any time: paid, nothing left to time out. The statement's bound is known
      // only as it runs (the merchants' latest clock), PostgreSQL guesses a third of the table below it, and from
      // ~100,000 orders (50,000 still went by index) it read the whole table unless the order asked for is the
      // index's own: 167 ms a second with a million.
      await insert(store, [anOrder('SUCCESS', 'MICROPAY', { id: 'paid', mchid: '1900000001', outTradeNo: 'T-paid', createdAt: NOW - DAY })]);
      await copies(store, 'paid', 100_000);
      await store.db.exec('ANALYZE orders');
      const plan = await howItReads(store.db, DUE_ORDERS, [NOW, 100]);
      assert.ok(
        plan.rowsReadOf('orders').every((n) => n <= 2),
        `orders read: ${plan.rowsReadOf('orders')}`,
      );
      await insert(store, [open('a-due', '1900000001', NOW - MINUTE), open('b-due', '1900000001', NOW - 2 * MINUTE)]);
      // The longest overdue first: a backlog larger than a sweep's limit is worked off in the order it fell due.
      assert.deepEqual(await store.dueOrders(NOW, 1), [{ mchid: '1900000001', orderId: 'b-due' }]);
    });
  });
}
