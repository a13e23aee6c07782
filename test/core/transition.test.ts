/** History entries and refund settlement. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError, isCoreError, isRetryable, type CoreErrorCode } from '../../src/core/errors.ts';
import { wechatIds } from '../../src/core/ids.ts';
import { isCodePayment, type Refund } from '../../src/core/order.ts';
import { historyEntry, settledRefund } from '../../src/core/transition.ts';
import { anOrder, SECOND, T0 } from '../helpers/orders.ts';

test('a history entry records from, to, event, cause, who and when', () => {
  const order = anOrder('CLOSED');
  assert.deepEqual(historyEntry(order, 'NOTPAY', 'close', 'close', { protocol: 'wechatpay-v2', requestId: 'r1', at: T0 }), {
    orderId: 'o1',
    from: 'NOTPAY',
    to: 'CLOSED',
    event: 'close',
    cause: 'close',
    protocol: 'wechatpay-v2',
    requestId: 'r1',
    at: T0,
    refundId: null,
  });
  assert.equal(historyEntry(order, 'SUCCESS', 'revoke', 'reverse', { protocol: 'system', requestId: null, at: T0, refundId: 'R' }).refundId, 'R');
});

test('a PROCESSING refund succeeds at its settle time, not before; settled ones stay as they are', () => {
  const refund: Refund = {
    refundId: 'R',
    orderId: 'o1',
    mchid: 'm',
    outRefundNo: 'N',
    amount: 1,
    currency: 'CNY',
    status: 'PROCESSING',
    cause: 'refund',
    reason: null,
    notifyUrl: null,
    fingerprint: 'f',
    protocol: 'wechatpay-v3',
    createdAt: T0,
    settleAt: T0 + SECOND,
    successAt: null,
  };
  assert.equal(settledRefund(refund, T0 + SECOND - 1), null);
  assert.deepEqual(settledRefund(refund, T0 + SECOND), { ...refund, status: 'SUCCESS', successAt: T0 + SECOND });
  assert.deepEqual(settledRefund(refund, T0 + 9 * SECOND), { ...refund, status: 'SUCCESS', successAt: T0 + SECOND }, 'succeeded at its settle time');
  assert.equal(settledRefund({ ...refund, status: 'SUCCESS' }, T0 + 9 * SECOND), null);
  assert.equal(settledRefund({ ...refund, status: 'CLOSED' }, T0 + 9 * SECOND), null);
});

test('core errors: a value with a code; retryable exactly for USER_PAYING, TOO_EARLY, SYSTEM_ERROR', () => {
  const e = new CoreError('ORDER_PAID');
  assert.deepEqual(
    [e.code, e.message, e.name, e.failure, isCoreError(e), isCoreError(new Error('x'))],
    ['ORDER_PAID', 'ORDER_PAID', 'CoreError', undefined, true, false],
  );
  assert.equal(new CoreError('PAYMENT_FAILED', 'why', 'NOT_ENOUGH').failure, 'NOT_ENOUGH');
  const retryable: CoreErrorCode[] = ['USER_PAYING', 'TOO_EARLY', 'SYSTEM_ERROR'];
  for (const code of ['ORDER_PAID', 'ORDER_CLOSED', 'WINDOW_EXPIRED', 'ORDER_NOT_FOUND', ...retryable] as CoreErrorCode[]) {
    assert.equal(isRetryable(code), retryable.includes(code), code);
  }
});

test('WeChat ids: 28-digit transaction ids and 29-digit refund ids dated in UTC+8; order ids are UUIDs', () => {
  const lateUtc = Date.UTC(2026, 0, 1, 17, 0, 0); // already 2 January in China
  assert.match(wechatIds.transactionId(lateUtc), /^420020260102\d{16}$/);
  assert.match(wechatIds.refundId(lateUtc), /^503020260102\d{17}$/);
  assert.match(wechatIds.orderId(), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.notEqual(wechatIds.transactionId(lateUtc), wechatIds.transactionId(lateUtc));
});

test('the random part of an id takes every digit at every position, leading zeros included', () => {
  const seen = Array.from({ length: 16 }, () => new Set<string>());
  for (let i = 0; i < 300; i++) {
    for (const [k, d] of [...wechatIds.transactionId(T0).slice(12)].entries()) seen[k]!.add(d);
  }
  for (const [k, digits] of seen.entries()) assert.equal(digits.size, 10, `position ${k}`);
});

test('code payments are MICROPAY orders', () => {
  assert.equal(isCodePayment({ tradeType: 'MICROPAY' }), true);
  assert.equal(isCodePayment({ tradeType: 'NATIVE' }), false);
});
