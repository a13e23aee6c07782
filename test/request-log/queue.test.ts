/**
 * The request log's queue: rows leave in the order they came, in batches of at most the batch size, as COPY text
 * (the server) or as rows (PGlite); a row longer than a chunk still travels whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queueFor } from '../../src/request-log/queue.ts';
import { copyLineOf, type RequestLogDb, type RequestLogRow } from '../../src/request-log/store.ts';

const row = (i: number, message: string | null = null): RequestLogRow => ({
  at: 1_700_000_000_000 + i,
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

/** Only whether the database takes COPY decides the queue's form. */
const server = { copyIn: async () => undefined } as unknown as RequestLogDb;
const pglite = { copyIn: null } as unknown as RequestLogDb;

test('server: COPY text in batches of at most the batch size, in order', () => {
  const queue = queueFor(server, 4);
  const rows = Array.from({ length: 10 }, (_, i) => row(i));
  for (const r of rows) queue.add(r);
  assert.equal(queue.length, 10);
  const batches = queue.takeAll();
  assert.equal(queue.length, 0);
  assert.deepEqual(
    batches.map((b) => b.count),
    [4, 4, 2],
  );
  const text = batches.map((b) => ('copyText' in b ? Buffer.from(b.copyText).toString() : assert.fail('rows for a server'))).join('');
  assert.equal(text, rows.map(copyLineOf).join(''));
  assert.deepEqual(queue.takeAll(), [], 'nothing twice');
});

test('server: a row longer than a chunk travels whole, multi-byte text intact', () => {
  const queue = queueFor(server, 256);
  const long = '长'.repeat(60_000); // 180,000 bytes of UTF-8: more than a chunk
  queue.add(row(0));
  queue.add(row(1, long));
  queue.add(row(2, 'ü'));
  const batches = queue.takeAll();
  const text = batches.map((b) => ('copyText' in b ? Buffer.from(b.copyText).toString() : '')).join('');
  assert.equal(text, [row(0), row(1, long), row(2, 'ü')].map(copyLineOf).join(''));
  assert.equal(
    batches.reduce((n, b) => n + b.count, 0),
    3,
  );
});

test('PGlite: the rows themselves, in batches of at most the batch size', () => {
  const queue = queueFor(pglite, 3);
  const rows = Array.from({ length: 7 }, (_, i) => row(i));
  for (const r of rows) queue.add(r);
  const batches = queue.takeAll();
  assert.deepEqual(
    batches.map((b) => ('rows' in b ? b.rows.map((r) => r.path) : assert.fail('COPY text for PGlite'))),
    [['/r/0', '/r/1', '/r/2'], ['/r/3', '/r/4', '/r/5'], ['/r/6']],
  );
  assert.equal(queue.length, 0);
});
