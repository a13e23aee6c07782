/**
 * The order's read with its merchant's profile (one statement; each comes back as one JSON value): every field
 * arrives as it was stored — the largest safe amounts and times, text with quotes, backslashes, control characters
 * and characters beyond the BMP, nulls, the settlement and a nested `extra` — locked or not, on every database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Merchant } from '../../src/core/merchant.ts';
import type { Order } from '../../src/core/order.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant } from '../helpers/context.ts';
import { testDatabases } from '../helpers/database.ts';
import { anOrder } from '../helpers/orders.ts';

const AWKWARD = 'quote " apostrophe \' backslash \\ \\u0041 tab \t newline \n CR \r 中文 😀 </script> %00';

for (const database of testDatabases()) {
  describe(`the order's read on ${database.name}`, () => {
    let store: SqlStore;
    let merchant: Merchant;
    before(async () => {
      store = await database.open();
      merchant = await aMerchant(store);
      await store.db.query('UPDATE merchants SET clock_offset_ms = $1, created_at = $2', [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    });
    after(() => database.cleanup());

    test('every value of the order and of its merchant comes back exactly', async () => {
      const order: Order = anOrder('SUCCESS', 'NATIVE', {
        id: 'o-awkward',
        outTradeNo: 'AWKWARD-1',
        transactionId: '4200000000000000000000000001',
        amount: Number.MAX_SAFE_INTEGER,
        refundedAmount: Number.MAX_SAFE_INTEGER - 1,
        refundCount: 2_147_483_647,
        currency: 'JPY',
        description: AWKWARD,
        attach: AWKWARD,
        notifyUrl: 'https://example.com/n?a=1&b=2',
        payerOpenid: null,
        createdAt: Number.MAX_SAFE_INTEGER - 10,
        paidAt: 0,
        extra: { nested: { list: [1, 'two', null, { three: AWKWARD }] }, big: Number.MAX_SAFE_INTEGER },
        settlement: { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 },
      });
      await store.transaction(async (tx) => assert.equal(await tx.insertOrder(order), true));
      const { secrets: _, ...stored } = merchant;
      const profile = { ...stored, clockOffsetMs: -Number.MAX_SAFE_INTEGER, createdAt: Number.MAX_SAFE_INTEGER, faultCount: 0 };
      for (const ref of [
        { mchid: merchant.mchid, outTradeNo: 'AWKWARD-1' },
        { mchid: merchant.mchid, transactionId: order.transactionId ?? '' },
      ]) {
        const locked = await store.transaction((tx) => tx.lockMerchantOrder(ref));
        const read = await store.read((tx) => tx.lockMerchantOrder(ref));
        for (const seen of [locked, read]) {
          assert.deepEqual(seen.order, order);
          assert.deepEqual(seen.merchant, profile);
        }
      }
    });
  });
}
