/**
 * What the log derives from a request: the order it addressed, from its path first and then its body in whichever
 * dialect's format (JSON, XML, form), only within the body's first 64 KB; texts bounded and storable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PendingRequest, toRow } from '../../src/request-log/row.ts';

const pending = (url: string, body?: string, dialect = 'wechatpay-v3'): PendingRequest => ({
  at: 1,
  dialect,
  method: 'POST',
  url,
  status: 200,
  latencyMs: 1.23456,
  requestId: 'r1',
  body: body === undefined ? undefined : Buffer.from(body),
});

const numbers = (p: PendingRequest) => {
  const r = toRow(p);
  return [r.out_trade_no, r.transaction_id];
};

test('the path names the order; the body adds the transaction id', () => {
  assert.deepEqual(numbers(pending('/v3/pay/transactions/out-trade-no/A%2F1/reverse', '{"mchid":"1"}')), ['A/1', null]);
  assert.deepEqual(numbers(pending('/v3/pay/transactions/out-trade-no/A1/reverse', '{"transaction_id":"42"}')), ['A1', '42']);
  assert.deepEqual(numbers(pending('/v3/pay/transactions/id/4200?mchid=1')), [null, '4200']);
});

test('bodies in each format', () => {
  assert.deepEqual(numbers(pending('/v3/pay/transactions/codepay', '{"out_trade_no" : "J1"}')), ['J1', null]);
  assert.deepEqual(
    numbers(pending('/pay/reverse', '<xml><out_trade_no><![CDATA[X1]]></out_trade_no><transaction_id>T9</transaction_id></xml>', 'wechatpay-v2')),
    ['X1', 'T9'],
  );
  assert.deepEqual(numbers(pending('/pay/orderquery', 'out_trade_no=F+1%21&x=1', 'wechatpay-v2')), ['F 1!', null]);
  assert.deepEqual(numbers(pending('/api/entry', '{"method":"order.query","merchant_order_no":"P1","trans_no":"TN"}', 'paycloud')), ['P1', 'TN']);
  assert.deepEqual(
    numbers(pending('/api/entry', '{"method":"order.refund","merchant_order_no":"RF1"}', 'paycloud')),
    [null, null],
    'a refund number is not an order number',
  );
  assert.deepEqual(numbers(pending('/v3/x', '{"merchant_order_no":"P1"}')), [null, null], 'merchant_order_no is PayCloud’s name');
});

test('only the first 64 KB of a body are read', () => {
  const padding = ' '.repeat(64 * 1024);
  assert.deepEqual(numbers(pending('/v3/x', `${padding}{"out_trade_no":"LATE"}`)), [null, null]);
  assert.deepEqual(numbers(pending('/v3/x', `{"out_trade_no":"EARLY"}${padding}`)), ['EARLY', null]);
});

test('texts bounded and storable; latency to the microsecond', () => {
  const r = toRow({ ...pending('/v3/\u0000x'), mchid: 'm'.repeat(100), message: 'e'.repeat(300) });
  assert.equal(r.path, '/v3/\uFFFDx');
  assert.equal(r.mchid, 'm'.repeat(64));
  assert.equal(r.message?.length, 256);
  assert.equal(r.latency_ms, 1.235);
});
