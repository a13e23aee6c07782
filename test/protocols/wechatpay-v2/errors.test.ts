/** The core-refusal map of APIv2 (cancellation-semantics.md §3, wechatpay-v2.md §6): codes per endpoint and recall. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryable, type CoreErrorCode } from '../../../src/core/errors.ts';
import { v2ErrorOf, v2PaymentFailure, type V2Endpoint } from '../../../src/protocols/wechatpay-v2/errors.ts';

/** Every core code: a Record over the union fails to compile when a code is added and not listed here. */
const ALL: Record<CoreErrorCode, true> = {
  ORDER_NOT_FOUND: true,
  REFUND_NOT_FOUND: true,
  ORDER_PAID: true,
  ORDER_CLOSED: true,
  ORDER_REVOKED: true,
  ORDER_NOT_PAID: true,
  ORDER_PAY_FAILED: true,
  USER_PAYING: true,
  TOO_EARLY: true,
  WINDOW_EXPIRED: true,
  USE_REVERSE: true,
  USE_REFUND: true,
  PAYMENT_FAILED: true,
  IDEMPOTENCY_CONFLICT: true,
  TRADE_TYPE_CONFLICT: true,
  REFUND_AMOUNT_EXCEEDED: true,
  REFUND_LIMIT_EXCEEDED: true,
  REFUND_WINDOW_EXPIRED: true,
  AMOUNT_MISMATCH: true,
  CURRENCY_MISMATCH: true,
  MERCHANT_NOT_FOUND: true,
  NO_AUTH: true,
  SYSTEM_ERROR: true,
};
const ENDPOINTS: V2Endpoint[] = ['micropay', 'unifiedorder', 'orderquery', 'closeorder', 'reverse', 'refund', 'refundquery'];

test('recall Y exactly for the retryable refusals, on every endpoint; every answer has a code and a description', () => {
  for (const code of Object.keys(ALL) as CoreErrorCode[]) {
    for (const endpoint of ENDPOINTS) {
      const fail = v2ErrorOf(code, endpoint);
      assert.equal(fail.retryable, isRetryable(code), `${code} on ${endpoint}`);
      assert.match(fail.errCode, /^[A-Z_]+$/);
      assert.ok(fail.errCodeDes.length > 0);
    }
  }
});

test('the matrix cells of V2C and V2R', () => {
  const code = (c: CoreErrorCode, e: V2Endpoint) => v2ErrorOf(c, e).errCode;
  assert.equal(code('ORDER_NOT_FOUND', 'closeorder'), 'ORDERNOTEXIST');
  assert.equal(code('ORDER_NOT_FOUND', 'reverse'), 'ORDERNOTEXIST');
  assert.equal(code('TOO_EARLY', 'closeorder'), 'FREQUENCY_LIMITED');
  assert.equal(code('TOO_EARLY', 'reverse'), 'FREQUENCY_LIMITED');
  assert.equal(code('USER_PAYING', 'closeorder'), 'USERPAYING');
  assert.equal(code('ORDER_PAID', 'closeorder'), 'ORDERPAID');
  assert.equal(code('ORDER_CLOSED', 'closeorder'), 'ORDERCLOSED');
  assert.equal(code('ORDER_REVOKED', 'closeorder'), 'ORDERCLOSED');
  assert.equal(code('USE_REVERSE', 'closeorder'), 'INVALID_REQUEST');
  assert.equal(code('USE_REFUND', 'reverse'), 'INVALID_REQUEST');
  assert.equal(code('WINDOW_EXPIRED', 'reverse'), 'REVERSE_EXPIRE');
  assert.equal(code('ORDER_CLOSED', 'micropay'), 'ORDERCLOSED');
  assert.equal(code('ORDER_REVOKED', 'micropay'), 'ORDERREVERSED');
  assert.equal(code('IDEMPOTENCY_CONFLICT', 'micropay'), 'OUT_TRADE_NO_USED');
  assert.equal(code('IDEMPOTENCY_CONFLICT', 'refund'), 'INVALID_REQUEST');
  assert.equal(code('ORDER_CLOSED', 'refund'), 'ERROR');
  assert.equal(code('REFUND_WINDOW_EXPIRED', 'refund'), 'TRADE_OVERDUE');
  assert.equal(code('ORDER_NOT_FOUND', 'refundquery'), 'REFUNDNOTEXIST');
  assert.equal(v2PaymentFailure('SYSTEM_ERROR').errCode, 'SYSTEMERROR');
  assert.equal(v2PaymentFailure('NOT_ENOUGH').errCode, 'NOTENOUGH');
});
