/**
 * The request log's queue: rows leave in the order they came, as COPY text in batches of at most the batch size (and
 * of a table batch's 1,024 rows), each with its newest row's time; a row longer than a chunk still travels whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowQueue } from '../../src/request-log/queue.ts';
import { copyLineOf, type RequestBatch, type RequestLogRow } from '../../src/request-log/store.ts';

const row = (i: number, message: string | null = null, at = 1_700_000_000_000 + i): RequestLogRow => ({
  at,
  mchid: '1900000001',
  dialect: 'wechatpay-v3',
  operation: 'POST /v3/pay/transactions/out-trade-no/:out_trade_no/reverse',
  method: 'POST',
  path: `/r/${i}`,
  status: 200,
  error_code: null,
  message,
  latency_ms: 1.25,
  request_id: `req-${i}`,
  out_trade_no: `T${i}`,
  transaction_id: null,
  diagnostics: i % 2 ? { reason: 'tab\there', valid_serials: ['A'] } : null,
});

const textOf = (batches: readonly RequestBatch[]) => batches.map((b) => Buffer.from(b.lines).toString()).join('');

test('COPY text in batches of at most the batch size, in order, each with the time of its newest row', () => {
  const queue = new RowQueue(4);
  const rows = Array.from({ length: 10 }, (_, i) => row(i, null, 1_700_000_000_000 + (i === 5 ? 99 : i)));
  for (const r of rows) queue.add(r);
  assert.equal(queue.length, 10);
  const batches = queue.takeAll();
  assert.equal(queue.length, 0);
  assert.deepEqual(
    batches.map((b) => [b.count, b.lastAt - 1_700_000_000_000]),
    [
      [4, 3],
      [4, 99],
      [2, 9],
    ],
  );
  assert.equal(textOf(batches), rows.map(copyLineOf).join(''));
  assert.deepEqual(queue.takeAll(), [], 'nothing twice');
});

test('a batch never holds more rows than a batch of the table', () => {
  const queue = new RowQueue(5000);
  // Rows short enough (~60 bytes) that 1,024 of them fit a chunk: the batch, not the chunk, is what ends.
  const short = (i: number): RequestLogRow => ({ ...row(i), operation: null, path: '/', out_trade_no: null, diagnostics: null, request_id: `${i}` });
  for (let i = 0; i < 2100; i++) queue.add(short(i));
  assert.deepEqual(
    queue.takeAll().map((b) => b.count),
    [1024, 1024, 52],
  );
});

test('a row longer than a chunk travels whole, multi-byte text intact', () => {
  const queue = new RowQueue(256);
  const long = '长'.repeat(60_000); // 180,000 bytes of UTF-8: more than a chunk
  queue.add(row(0));
  queue.add(row(1, long));
  queue.add(row(2, 'ü'));
  const batches = queue.takeAll();
  assert.equal(textOf(batches), [row(0), row(1, long), row(2, 'ü')].map(copyLineOf).join(''));
  assert.equal(
    batches.reduce((n, b) => n + b.count, 0),
    3,
  );
});
