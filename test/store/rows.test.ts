/** Row mapping: settlement columns, orders stored before them (rate in `extra`), and the due time the sweeper reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDER_COLUMNS, orderFromRow, orderToRow } from '../../src/store/rows.ts';
import { anOrder, DAY, SECOND, T0 } from '../helpers/orders.ts';

const row = (values: unknown[]) => Object.fromEntries(ORDER_COLUMNS.map((c, i) => [c, values[i]]));

test('an order round-trips with its settlement and writes its due time', () => {
  const order = anOrder('NOTPAY', 'NATIVE', { amount: 500, currency: 'JPY', settlement: { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 } });
  const values = orderToRow(order);
  assert.equal(values.length, ORDER_COLUMNS.length);
  const r = row(values);
  assert.deepEqual([r.settlement_rate, r.payer_currency, r.payer_amount, r.due_at], [5_120_000, 'CNY', 2560, T0 + 7 * DAY + 1]);
  assert.deepEqual(orderFromRow(r), order);
  assert.equal(row(orderToRow(anOrder('SUCCESS'))).due_at, null);
  assert.equal(row(orderToRow(anOrder('USERPAYING', 'MICROPAY'))).due_at, T0 + 30 * SECOND);
});

test('orders stored before settlement are read from what their dialect kept in extra', () => {
  const legacy = (extra: Record<string, unknown>) =>
    orderFromRow({
      ...row(orderToRow(anOrder('SUCCESS', 'NATIVE', { amount: 500, currency: 'JPY' }))),
      settlement_rate: null,
      payer_currency: null,
      payer_amount: null,
      extra: JSON.stringify(extra),
    }).settlement;
  assert.deepEqual(legacy({ rate: 5_120_000 }), { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 }, 'APIv2 / APIv3 Global');
  assert.deepEqual(legacy({ exchangeRate: '0.0512', transAmountCny: 2560 }), { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 }, 'PayCloud');
  assert.equal(legacy({}), null);
});
