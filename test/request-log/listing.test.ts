/**
 * Reading the request log back across many batches: the listing is newest first, filtered exactly, paged by cursor
 * without a row twice or missed; an order's requests are found by its numbers, oldest first; text that stands
 * escaped in a batch is found as it was logged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listRequests, requestsForOrder } from '../../src/request-log/listing.ts';
import { RequestLogWriter } from '../../src/request-log/writer.ts';
import type { SqlRunner } from '../../src/store/sql-client.ts';
import { testDatabases } from '../helpers/database.ts';

/** Request `i`: merchant A, B or one whose id holds COPY's special characters, every fourth one refused. */
const MERCHANTS = ['A-1', 'B-2', 'C\\t\t3'] as const;
const logged = (i: number) => ({
  at: 1_700_000_000_000 + i,
  dialect: 'wechatpay-v3',
  method: 'POST',
  url: `/v3/pay/transactions/out-trade-no/T${i % 7}/reverse`,
  status: i % 4 === 0 ? 401 : 200,
  latencyMs: i / 8,
  requestId: `R${i}`,
  body: Buffer.from(i % 5 === 0 ? `{"transaction_id":"X${i % 2}"}` : '{}'),
  mchid: MERCHANTS[i % 3],
  errorCode: i % 4 === 0 ? 'SIGN_ERROR' : undefined,
});
const COUNT = 75; // in batches of 2: more batches than one read of the listing takes

for (const database of testDatabases()) {
  describe(`request log listing (${database.name})`, () => {
    after(() => database.cleanup());

    // Filled when the suite runs, not in its body (which runs when it is declared, beside the other suite's tests:
    // test/operations/lifecycle.test.ts says why that can time out).
    let filled: SqlRunner;
    before(async () => {
      filled = (await database.open()).db;
      const writer = new RequestLogWriter(filled, () => 0, { maxRows: 1000, maxAgeMs: 86_400_000, flushIntervalMs: 600_000, batchRows: 2, maxBuffered: 1000 });
      for (let i = 0; i < COUNT; i++) writer.push(logged(i));
      await writer.close();
    });

    test('newest first, every row once, ids falling; a row reads back as it was logged', async () => {
      const rows = await listRequests(filled, { limit: 1000 });
      assert.deepEqual(
        rows.map((r) => r.request_id),
        Array.from({ length: COUNT }, (_, i) => `R${COUNT - 1 - i}`),
      );
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i].id < rows[i - 1].id);
      const r5 = rows.find((r) => r.request_id === 'R5');
      assert.deepEqual(
        { ...r5, id: 0 },
        {
          id: 0,
          at: 1_700_000_000_005,
          mchid: 'C\\t\t3',
          dialect: 'wechatpay-v3',
          operation: null,
          method: 'POST',
          path: '/v3/pay/transactions/out-trade-no/T5/reverse',
          status: 200,
          error_code: null,
          message: null,
          latency_ms: 0.625,
          request_id: 'R5',
          out_trade_no: 'T5',
          transaction_id: 'X1',
          diagnostics: null,
        },
      );
    });

    test('filters are exact, and a cursor pages through them without a row twice or missed', async () => {
      const db = filled;
      for (const mchid of MERCHANTS) {
        const expected = (await listRequests(db, { limit: 1000 })).filter((r) => r.mchid === mchid && r.status === 401);
        assert.ok(expected.length > 0);
        const paged: string[] = [];
        let beforeId: number | undefined;
        for (;;) {
          const page = await listRequests(db, { mchid, status: 401, errorCode: 'SIGN_ERROR', beforeId, limit: 4 });
          paged.push(...page.map((r) => r.request_id));
          if (page.length < 4) break;
          beforeId = page[3].id;
        }
        assert.deepEqual(
          paged,
          expected.map((r) => r.request_id),
          mchid,
        );
      }
      assert.deepEqual(await listRequests(db, { mchid: 'A', limit: 10 }), [], 'a merchant id is matched whole');
      assert.deepEqual(await listRequests(db, { errorCode: 'SIGN', limit: 10 }), []);
    });

    test("an order's requests: by its number for its merchants, by its transaction id; oldest first", async () => {
      const db = filled;
      const found = await requestsForOrder(db, { mchids: ['A-1'], outTradeNo: 'T3', transactionId: 'X1', orderId: 'no-history' });
      const expected = Array.from({ length: COUNT }, (_, i) => i).filter((i) => (i % 7 === 3 && i % 3 === 0) || (i % 5 === 0 && i % 2 === 1));
      assert.deepEqual(
        found.map((r) => r.request_id),
        expected.map((i) => `R${i}`),
      );
      assert.deepEqual(
        await requestsForOrder(db, { mchids: ['C\\t\t3'], outTradeNo: 'T2', transactionId: null, orderId: 'none' }).then((rows) =>
          rows.map((r) => r.request_id),
        ),
        ['R2', 'R23', 'R44', 'R65'],
      );
    });
  });
}
