/**
 * The request log against a real gateway: every dialect's calls are listed with merchant, operation, status,
 * error code and latency; a refused authentication carries the exact string the gateway expected to be signed,
 * the key it used and the reason — never a secret; filters and cursors; bounded retention.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { merchantClient, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { authorization } from '../helpers/v3-signer.ts';
import { v2SignedXml, v2Xml } from '../helpers/wire.ts';
import { PayCloudClient, signingString, type AppCredentials } from '../protocols/paycloud/paycloud-client.ts';
import { RequestLogWriter } from '../../src/request-log/writer.ts';
import { listRequests } from '../../src/request-log/listing.ts';
import { pruneRequests } from '../../src/request-log/store.ts';
import type { SqlRunner } from '../../src/store/sql-client.ts';

const database = primaryDatabase();

/** What the request path pushes for request `i`: its path is `/r/<i>`, by which a test finds it in the table. */
const loggedRequest = (i: number, at: number) => ({
  at,
  dialect: 'wechatpay-v3',
  method: 'GET',
  url: `/r/${i}`,
  status: 200,
  latencyMs: 1,
  requestId: `R${i}-${at}`,
  body: undefined,
});

/** The paths of the logged rows, oldest first. */
async function loggedPaths(db: SqlRunner): Promise<string[]> {
  return (await listRequests(db, { limit: 10_000 })).map((r) => r.path).reverse();
}

/** Waits (up to 5 s) until the log holds `n` rows: the writer writes on its own schedule. */
async function untilLogged(db: SqlRunner, n: number): Promise<void> {
  for (const deadline = Date.now() + 5000; (await loggedPaths(db)).length < n; await new Promise((r) => setTimeout(r, 5))) {
    assert.ok(Date.now() < deadline, `the log holds ${(await loggedPaths(db)).length} rows, not ${n}`);
  }
}

/**
 * The real database with its batch writes watched: how many rows each carried (the count it stores, checked against
 * the lines it carries) and how many were in flight at once. Each write waits for `held` first, when given: a
 * database that has stalled.
 */
function watchInserts(db: SqlRunner, held?: Promise<void>) {
  const seen = { inserts: [] as number[], inFlight: 0, mostInFlight: 0 };
  const watched = async <T>(rows: number, write: () => Promise<T>): Promise<T> => {
    seen.inserts.push(rows);
    seen.mostInFlight = Math.max(seen.mostInFlight, ++seen.inFlight);
    try {
      await held;
      return await write();
    } finally {
      seen.inFlight--;
    }
  };
  const runner: SqlRunner = {
    exec: (sql) => db.exec(sql),
    query<R>(sql: string, params?: readonly unknown[]) {
      if (!sql.startsWith('INSERT')) return db.query<R>(sql, params);
      const [count, , lines] = params as [number, number, Uint8Array];
      assert.equal(Buffer.from(lines).toString().split('\n').length - 1, count);
      return watched(count, () => db.query<R>(sql, params));
    },
  };
  return { runner, seen };
}

describe('request log', () => {
  let gw: TestGateway;
  let c: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    c = await gw.newMerchant();
  });
  after(async () => {
    await gw.close();
    await database.cleanup();
  });

  const requests = async (query: string) => {
    const res = await gw.admin('GET', `/sandbox/requests?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { data: any[]; next_cursor: string | null };
  };
  const v3Get = (url: string, auth: string) => fetch(new URL(url, gw.baseUrl), { headers: { authorization: auth, accept: 'application/json' } });

  test('APIv3: a successful call is logged without diagnostics; refusals say why, with the expected message', async () => {
    const client = merchantClient(c);
    await client.v3.pay.transactions.native.post({
      appid: c.appid,
      mchid: c.mchid,
      description: 'd',
      out_trade_no: 'LOG-1',
      notify_url: 'https://example.com/n',
      amount: { total: 1 },
    });
    const url = `/v3/pay/transactions/out-trade-no/LOG-1?mchid=${c.mchid}`;
    const old = Math.floor(Date.now() / 1000) - 412;
    const nonce = randomBytes(8).toString('hex');
    const answers = [
      await v3Get(url, authorization(c, 'GET', url, '', { signedBody: 'tampered' })),
      await v3Get(url, authorization(c, 'GET', url, '', { timestamp: old, nonce })),
      await v3Get(url, authorization(c, 'GET', url, '', { serial: 'ABCDEF0123' })),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [401, 401, 401],
    );
    const ok = await v3Get(url, authorization(c, 'GET', url, '', { nonce: 'replayed-nonce-0001' }));
    const replay = await v3Get(url, authorization(c, 'GET', url, '', { nonce: 'replayed-nonce-0001' }));
    assert.deepEqual([ok.status, replay.status], [200, 401]);

    const log = await requests(`mchid=${c.mchid}&limit=200`);
    const created = log.data.find((r) => r.method === 'POST');
    assert.equal(created.out_trade_no, 'LOG-1');
    assert.equal(created.status, 200);
    assert.equal(created.dialect, 'wechatpay-v3');
    assert.equal(created.diagnostics, null);
    assert.match(created.request_id, /^[0-9A-F]{32}$/);
    assert.ok(created.latency_ms > 0);

    const refusals = (await requests(`mchid=${c.mchid}&status=401`)).data.reverse();
    assert.equal(refusals.length, 4);
    assert.deepEqual(
      refusals.map((r) => [r.error_code, r.out_trade_no]),
      Array(4).fill(['SIGN_ERROR', 'LOG-1']),
    );
    const [tampered, stale, serial, replayed] = refusals.map((r) => r.diagnostics);
    assert.equal(tampered.reason, 'signature does not verify with the merchant certificate');
    assert.match(tampered.expected_signing_string, new RegExp(`^GET\\n${url.replace(/[?]/g, '\\?')}\\n\\d+\\n[0-9a-f]{32}\\n\\n$`));
    assert.equal(tampered.key, `merchant certificate, serial ${c.merchantSerialNo}`);
    assert.match(stale.reason, /^timestamp 41[2-9] s old \(window ±300 s\)$/);
    assert.equal(stale.expected_signing_string, `GET\n${url}\n${old}\n${nonce}\n\n`);
    assert.equal(serial.reason, 'serial_no ABCDEF0123 is unknown');
    assert.deepEqual(serial.valid_serials, [c.merchantSerialNo]);
    assert.match(replayed.reason, /^nonce replayed: nonce_str replayed-nonce-0001/);
    for (const d of [tampered, stale, serial]) assert.ok(d.received_signature_prefix.length <= 13);
    const text = JSON.stringify(log);
    assert.ok(!text.includes(c.apiV3Key) && !text.includes('PRIVATE KEY'));
  });

  test('APIv2: refusals at HTTP 200 are found by error code; the key is masked as key=…; sign_type mismatch named', async () => {
    const post = (body: string) => fetch(new URL('/pay/orderquery', gw.baseUrl), { method: 'POST', body });
    const params = { appid: c.appid, mch_id: c.mchid, out_trade_no: 'LOG-1', nonce_str: randomBytes(8).toString('hex') };
    const wrongKey = await post(v2SignedXml(params, 'k'.repeat(32)));
    // HMAC-SHA256 signature with sign_type absent (MD5): the classic mismatch.
    const hmac = createHmac('sha256', c.apiV2Key)
      .update(`${signingString(params)}&key=${c.apiV2Key}`)
      .digest('hex')
      .toUpperCase();
    const mismatch = await post(v2Xml({ ...params, sign: hmac }));
    const good = await post(v2SignedXml(params, c.apiV2Key));
    assert.deepEqual([wrongKey.status, mismatch.status, good.status], [200, 200, 200]);
    assert.match(await good.text(), /<result_code><!\[CDATA\[SUCCESS\]\]><\/result_code>/);

    const fails = (await requests(`mchid=${c.mchid}&error_code=FAIL`)).data.reverse();
    assert.equal(fails.length, 2);
    assert.ok(fails.every((r) => r.status === 200 && r.dialect === 'wechatpay-v2' && r.operation === 'orderquery' && r.message === '签名错误'));
    const expected = `${signingString(params)}&key=…`;
    assert.deepEqual(
      fails.map((r) => r.diagnostics.expected_signing_string),
      [expected, expected],
    );
    assert.deepEqual(
      fails.map((r) => r.diagnostics.reason),
      [
        'signature does not verify (MD5 (sign_type absent))',
        'sign_type mismatch: sign was made with the other algorithm than sign_type MD5 (sign_type absent) names',
      ],
    );
    assert.ok(!JSON.stringify(fails).includes(c.apiV2Key));
  });

  test('PayCloud: a bad signature shows the sorted k=v& string; refusals filter by code', async () => {
    const pc = new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, 'form');
    const answer = await pc.call('order.query', { merchant_order_no: 'LOG-1' }, { signed: { merchant_order_no: 'OTHER' } });
    assert.equal(answer.envelope.code, '1002');
    const [row] = (await requests(`error_code=1002&mchid=${c.mchid}`)).data;
    assert.equal(row.dialect, 'paycloud');
    assert.equal(row.operation, 'order.query');
    assert.equal(row.out_trade_no, 'LOG-1');
    assert.match(
      row.diagnostics.expected_signing_string,
      /^app_id=wz[0-9a-f]+&charset=UTF-8&format=JSON&merchant_no=\d+&merchant_order_no=LOG-1&method=order\.query&/,
    );
    assert.equal(row.diagnostics.key, `app public key of app_id ${(c.paycloud as AppCredentials).appId}`);
  });

  test('cursor pages through the log; a bad cursor or filter is a 400', async () => {
    const first = await requests(`mchid=${c.mchid}&limit=2`);
    assert.equal(first.data.length, 2);
    assert.ok(first.next_cursor);
    const second = await requests(`mchid=${c.mchid}&limit=2&cursor=${first.next_cursor}`);
    assert.ok(second.data[0].id < first.data[1].id);
    assert.equal((await gw.admin('GET', '/sandbox/requests?cursor=nope')).status, 400);
    assert.equal((await gw.admin('GET', '/sandbox/requests?status=abc')).status, 400);
    assert.equal((await fetch(new URL('/sandbox/requests', gw.baseUrl))).status, 401);
  });

  test('API calls only: sandbox, health and metrics paths are not logged; Global/HK calls are APIv3 rows', async () => {
    // Unsigned, so refused (or, off the routes, not found): logged either way, as every call to an API path is.
    const hk = `/hk/v3/transactions/out-trade-no/LOG-HK?mchid=${c.mchid}`;
    const global = `/v3/global/transactions/out-trade-no/LOG-GLOBAL?mchid=${c.mchid}`;
    for (const path of [hk, global]) assert.ok((await fetch(new URL(path, gw.baseUrl))).status >= 400);
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(new URL(path, gw.baseUrl))).status, 200);
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${c.mchid}`)).status, 200);
    const rows = (await requests('limit=200')).data;
    const dialectOf = (path: string) => rows.find((r) => r.path === path)?.dialect;
    assert.deepEqual([dialectOf(hk), dialectOf(global)], ['wechatpay-v3', 'wechatpay-v3']);
    assert.deepEqual(
      rows.filter((r) => !/^\/(v3|hk|pay|secapi|api)\//.test(r.path)).map((r) => r.path),
      [],
    );
  });

  test('text the caller sent is logged as sent (tabs, newlines, backslashes, quotes, CJK), U+0000 as U+FFFD', async () => {
    const url = '/v3/pay/transactions/out-trade-no/LOG-TEXT/close';
    // A body holding every character COPY's text format escapes, and one PostgreSQL text cannot hold.
    const body = `{"mchid":"${c.mchid}","note":"tab\\there \\\\ \\"q\\" 中文","raw":"a\tb\r\nc\\d\u0000e"}`;
    const res = await fetch(new URL(url, gw.baseUrl), {
      method: 'POST',
      headers: { authorization: authorization(c, 'POST', url, body, { signedBody: 'not this body' }), 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 401);
    const [row] = (await requests(`mchid=${c.mchid}&status=401&limit=1`)).data;
    assert.equal(row.path, url);
    assert.equal(row.out_trade_no, 'LOG-TEXT');
    const signed = row.diagnostics.expected_signing_string as string;
    assert.equal(signed.slice(signed.indexOf('{'), -1), body.replace('\u0000', '\uFFFD'));
  });

  for (const batchRows of [100, 2]) {
    test(`retention keeps the newest rows and nothing older than the age bound, to the row (batches of ${batchRows})`, async () => {
      let now = 1_000_000_000_000;
      const writer = new RequestLogWriter(gw.store.db, () => now, { maxRows: 5, maxAgeMs: 60_000, flushIntervalMs: 10, batchRows, maxBuffered: 100 });
      await gw.store.db.query('DELETE FROM request_log_batches');
      for (let i = 0; i < 3; i++) writer.push(loggedRequest(i, now - 120_000));
      for (let i = 3; i < 12; i++) writer.push(loggedRequest(i, now));
      await writer.prune();
      assert.deepEqual(await loggedPaths(gw.store.db), ['/r/7', '/r/8', '/r/9', '/r/10', '/r/11']);
      const ids = (await listRequests(gw.store.db, { limit: 10 })).map((r) => r.id);
      await writer.prune();
      assert.deepEqual(
        (await listRequests(gw.store.db, { limit: 10 })).map((r) => r.id),
        ids,
        'a row keeps its id when its batch is trimmed',
      );
      now += 30_000;
      for (let i = 12; i < 14; i++) writer.push(loggedRequest(i, now));
      now += 60_000;
      await writer.prune();
      assert.deepEqual(await loggedPaths(gw.store.db), ['/r/12', '/r/13'], 'older than 60 s: gone');
      now += 120_000;
      await writer.prune();
      assert.deepEqual(await loggedPaths(gw.store.db), []);
      await writer.close();
    });
  }

  test('the age bound cuts the old lines of a batch whose newest row is young', async () => {
    const now = 1_000_000_000_000;
    const writer = new RequestLogWriter(gw.store.db, () => now, { maxRows: 100, maxAgeMs: 60_000, flushIntervalMs: 10, batchRows: 100, maxBuffered: 100 });
    await gw.store.db.query('DELETE FROM request_log_batches');
    for (let i = 0; i < 4; i++) writer.push(loggedRequest(i, i < 2 ? now - 61_000 : now - 59_000));
    await writer.prune();
    assert.deepEqual(await loggedPaths(gw.store.db), ['/r/2', '/r/3']);
    await writer.close();
    // No rows kept (`--request-log-rows 0`): no batch is left, not even an empty one.
    await new RequestLogWriter(gw.store.db, () => now, { ...writer.options, maxRows: 0 }).prune();
    assert.deepEqual((await gw.store.db.query('SELECT id FROM request_log_batches')).rows, []);
  });

  test('two processes trimming at once cut a batch once', async () => {
    const writer = new RequestLogWriter(gw.store.db, () => 0, { maxRows: 1000, maxAgeMs: 60_000, flushIntervalMs: 10, batchRows: 100, maxBuffered: 100 });
    await gw.store.db.query('DELETE FROM request_log_batches');
    for (let i = 0; i < 12; i++) writer.push(loggedRequest(i, 0));
    await writer.close();
    // Both read the batch before either cuts it: each one's UPDATE waits until both reads are answered.
    let read = 0;
    let bothRead = () => {};
    const reads = new Promise<void>((r) => {
      bothRead = r;
    });
    const db = gw.store.db;
    const interleaved: SqlRunner = {
      exec: (sql) => db.exec(sql),
      async query<R>(sql: string, params?: readonly unknown[]) {
        if (sql.startsWith('UPDATE')) await reads;
        const result = await db.query<R>(sql, params);
        if (sql.startsWith('SELECT') && ++read === 2) bothRead();
        return result;
      },
    };
    const kept = (await listRequests(db, { limit: 5 })).map((r) => [r.path, r.id]);
    await Promise.all([pruneRequests(interleaved, 5, -1), pruneRequests(interleaved, 5, -1)]);
    assert.deepEqual(
      (await listRequests(db, { limit: 10 })).map((r) => [r.path, r.id]),
      kept,
    );
    assert.deepEqual(await loggedPaths(db), ['/r/7', '/r/8', '/r/9', '/r/10', '/r/11']);
  });

  test('a full buffer is written without waiting for the interval, one write at a time, in slices', async () => {
    await gw.store.db.query('DELETE FROM request_log_batches');
    const { runner: watched, seen } = watchInserts(gw.store.db);
    const writer = new RequestLogWriter(watched, () => Date.now(), {
      maxRows: 1000,
      maxAgeMs: 60_000,
      flushIntervalMs: 600_000,
      batchRows: 4,
      maxBuffered: 100,
    });
    for (let i = 0; i < 3; i++) writer.push(loggedRequest(i, Date.now()));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await loggedPaths(gw.store.db), [], 'three records wait for the interval');
    writer.push(loggedRequest(3, Date.now()));
    await untilLogged(gw.store.db, 4);
    for (let i = 4; i < 14; i++) writer.push(loggedRequest(i, Date.now()));
    await untilLogged(gw.store.db, 14);
    assert.deepEqual(seen.inserts, [4, 4, 4, 2]);
    assert.equal(seen.mostInFlight, 1);
    assert.deepEqual(
      await loggedPaths(gw.store.db),
      Array.from({ length: 14 }, (_, i) => `/r/${i}`),
    );
    await writer.close();
  });

  test('while the database is slow, records wait in one bounded buffer and the next write takes them all', async () => {
    await gw.store.db.query('DELETE FROM request_log_batches');
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const { runner: stalled, seen } = watchInserts(gw.store.db, held);
    const writer = new RequestLogWriter(stalled, () => Date.now(), { maxRows: 1000, maxAgeMs: 60_000, flushIntervalMs: 5, batchRows: 2, maxBuffered: 5 });
    writer.push(loggedRequest(0, Date.now()));
    writer.push(loggedRequest(1, Date.now()));
    for (let i = 2; i < 9; i++) {
      await new Promise((r) => setTimeout(r, 10));
      writer.push(loggedRequest(i, Date.now()));
    }
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(seen.inserts, [2], 'one write in flight; the interval does not start another');
    assert.equal(writer.dropped, 2, 'the buffer holds 5; the 6th and 7th records pushed meanwhile are dropped');
    release();
    // Nothing more is pushed: what waited is written because the stalled write ended, not because of a new record.
    await untilLogged(gw.store.db, 7);
    assert.deepEqual(seen.inserts, [2, 2, 2, 1]);
    assert.deepEqual(await loggedPaths(gw.store.db), ['/r/0', '/r/1', '/r/2', '/r/3', '/r/4', '/r/5', '/r/6']);
    await writer.close();
  });
});
