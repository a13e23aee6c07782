/**
 * The sandbox admin API through its schemas: the token is checked before anything else, invalid input is a 400
 * naming the field and changes nothing, non-JSON bodies are refused, and answers serialised through the response
 * schemas carry every fact the views hold (nothing dropped or coerced).
 */
import type { SqlStore } from '../../src/store/sql-store.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { wechatIds } from '../../src/core/ids.ts';
import { createOrder } from '../../src/operations/create-order.ts';
import { refundOrder } from '../../src/operations/refund-order.ts';
import { sandboxPayer } from '../../src/sandbox/payer.ts';
import { credentialsJson } from '../../src/sandbox/provision.ts';
import { notificationView, sandboxOrderView } from '../../src/sandbox/views.ts';
import { buildServer } from '../../src/server.ts';
import type { GatewayDeps } from '../../src/server-deps.ts';
import { faultAdmin } from '../../src/store/fault-store.ts';
import { outboxStore } from '../../src/store/outbox-store.ts';
import { ManualClock, newOrder } from '../helpers/context.ts';
import { primaryDatabase } from '../helpers/database.ts';

const TOKEN = 'admin-plugin-test-token';
const URLS = { baseUrl: 'http://127.0.0.1:1/' };
const database = primaryDatabase();
const clock = new ManualClock(Date.now());
let deps: GatewayDeps;
let app: FastifyInstance;

before(async () => {
  const store = await database.open();
  deps = { store, merchants: store, nonces: store, sql: store.db, clock, ids: wechatIds, payer: sandboxPayer };
  app = await buildServer(deps, { sandbox: { adminToken: TOKEN, outbox: outboxStore(store.db), faults: faultAdmin(store.db), urls: URLS } });
});
after(async () => {
  await app.close();
  await database.cleanup();
});

type Call = { method: 'GET' | 'POST'; url: string; body?: unknown; raw?: string; contentType?: string; token?: string | null };
async function call({ method, url, body, raw, contentType, token = TOKEN }: Call) {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined || raw !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const res = await app.inject({ method, url, headers, payload: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  return { status: res.statusCode, body: res.body ? res.json() : null, type: String(res.headers['content-type']) };
}

test('the admin token is checked first: no token, a wrong one, even on a malformed request → 401', async () => {
  for (const token of [null, 'wrong', `${TOKEN}x`]) {
    const res = await call({ method: 'POST', url: '/sandbox/merchants/1/clock', raw: '{nope', token });
    assert.deepEqual([res.status, res.body.error], [401, 'UNAUTHORIZED']);
  }
});

test('provisioning: an empty body is {}; every field of the credentials JSON survives serialisation', async () => {
  const res = await app.inject({ method: 'POST', url: '/sandbox/merchants', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.statusCode, 201, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json; charset=utf-8/);
  const created = res.json();
  const merchant = await deps.store.getMerchant(created.mchid);
  assert.ok(merchant);
  assert.deepEqual(created, JSON.parse(JSON.stringify(credentialsJson(merchant, URLS))));
  assert.ok(created.paycloud.appPrivateKeyPkcs8Base64 && created.apiV2ClientP12Base64 && created.merchantPrivateKeyPem);
  assert.deepEqual((await call({ method: 'GET', url: `/sandbox/merchants/${created.mchid}` })).body, created);

  const sp = (await call({ method: 'POST', url: '/sandbox/merchants', body: { mode: 'service_provider' } })).body;
  const sub = await call({ method: 'POST', url: '/sandbox/merchants', body: { mode: 'sub_merchant', sp_mchid: sp.mchid } });
  assert.equal(sub.status, 201);
  assert.deepEqual(Object.keys(sub.body).sort(), ['appid', 'baseUrl', 'mchid', 'mode', 'spMchid']);
  assert.equal(sub.body.spMchid, sp.mchid);
});

test('invalid input: 400 naming the field, in the sandbox error shape, and nothing is created', async () => {
  const before = (await deps.store.listMerchants()).length;
  const cases: [Call, string, string][] = [
    [{ method: 'POST', url: '/sandbox/merchants', body: { mode: 'boss' } }, 'INVALID_FIELD', 'mode'],
    [{ method: 'POST', url: '/sandbox/merchants', body: { region: 'moon' } }, 'INVALID_FIELD', 'region'],
    [{ method: 'POST', url: '/sandbox/merchants', body: { colour: 'red' } }, 'UNKNOWN_FIELD', 'colour'],
    [{ method: 'POST', url: '/sandbox/merchants', body: { mchid: '12' } }, 'INVALID_FIELD', 'mchid'],
    [{ method: 'POST', url: '/sandbox/merchants', body: { exchangeRate: 0 } }, 'INVALID_FIELD', 'exchangeRate'],
    [{ method: 'POST', url: '/sandbox/merchants', body: [1, 2] }, 'INVALID_FIELD', 'body'],
    [{ method: 'POST', url: '/sandbox/merchants/1900000001/clock', body: {} }, 'MISSING_FIELD', 'advance_seconds'],
    [{ method: 'POST', url: '/sandbox/merchants/1900000001/clock', body: { advance_seconds: -5 } }, 'INVALID_FIELD', 'advance_seconds'],
    [{ method: 'POST', url: '/sandbox/merchants/1900000001/clock', body: { advance_seconds: 1, back: true } }, 'UNKNOWN_FIELD', 'back'],
    [{ method: 'GET', url: '/sandbox/merchants/19x/clock' }, 'INVALID_FIELD', 'mchid'],
    [{ method: 'GET', url: '/sandbox/merchants/1900000001/orders/a%00b' }, 'INVALID_FIELD', 'no'],
    [{ method: 'POST', url: '/sandbox/merchants/1900000001/notifications/abc/redeliver' }, 'INVALID_FIELD', 'id'],
  ];
  for (const [request, error, field] of cases) {
    const res = await call(request);
    assert.equal(res.status, 400, `${request.url} ${JSON.stringify(request.body)}: ${JSON.stringify(res.body)}`);
    assert.deepEqual([res.body.error, res.body.field], [error, field], JSON.stringify(res.body));
    assert.ok(res.body.message.includes(field), res.body.message);
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'field', 'message']);
  }
  assert.equal((await deps.store.listMerchants()).length, before);
});

test('bodies other than JSON are refused (415); malformed JSON is a 400; neither reaches the handler', async () => {
  const form = await call({ method: 'POST', url: '/sandbox/merchants', raw: 'mode=direct', contentType: 'application/x-www-form-urlencoded' });
  assert.deepEqual([form.status, form.body.error], [415, 'UNSUPPORTED_MEDIA_TYPE']);
  const broken = await call({ method: 'POST', url: '/sandbox/merchants', raw: '{"mode":' });
  assert.equal(broken.status, 400);
  assert.equal(typeof broken.body.error, 'string');
});

test('order, notification and clock answers carry every fact of their views', async () => {
  const m = (await call({ method: 'POST', url: '/sandbox/merchants', body: {} })).body;
  const ctx = { store: deps.store, clock, ids: wechatIds, protocol: 'wechatpay-v3' as const, requestId: 'T' };
  await createOrder(ctx, newOrder('ADM-1', { mchid: m.mchid }), 'wechatV3');
  const paid = await call({ method: 'POST', url: `/sandbox/merchants/${m.mchid}/orders/ADM-1/pay` });
  assert.equal(paid.status, 200);
  assert.equal(paid.body.state, 'SUCCESS');
  await refundOrder(
    ctx,
    {
      order: { mchid: m.mchid, outTradeNo: 'ADM-1' },
      outRefundNo: 'ADM-1-R',
      amount: 300,
      currency: 'CNY',
      statedTotal: null,
      reason: null,
      notifyUrl: null,
      fingerprint: 'fp-r',
    },
    'wechatV3',
  );

  const viewed = await call({ method: 'GET', url: `/sandbox/merchants/${m.mchid}/orders/ADM-1` });
  const order = await deps.store.transaction((tx) => tx.lockOrder({ mchid: m.mchid, outTradeNo: 'ADM-1' }));
  assert.ok(order);
  assert.deepEqual(viewed.body, JSON.parse(JSON.stringify(await sandboxOrderView(deps, order))));
  assert.equal(viewed.body.transaction_id, order.transactionId);
  assert.deepEqual(
    viewed.body.history.map((h: any) => [h.from, h.to]),
    [
      [null, 'NOTPAY'],
      ['NOTPAY', 'SUCCESS'],
      ['SUCCESS', 'REFUND'],
    ],
  );
  assert.deepEqual(
    viewed.body.refunds.map((r: any) => [r.out_refund_no, r.amount, r.status, r.success_at]),
    [['ADM-1-R', 300, 'PROCESSING', null]],
  );

  const events = await call({ method: 'GET', url: `/sandbox/merchants/${m.mchid}/notifications` });
  const expected = (await outboxStore((deps.store as SqlStore).db).listForMerchant(m.mchid)).map(notificationView);
  assert.ok(expected.length >= 1);
  assert.deepEqual(events.body, JSON.parse(JSON.stringify({ data: expected })));
  const redeliver = await call({ method: 'POST', url: `/sandbox/merchants/${m.mchid}/notifications/${events.body.data[0].id}/redeliver` });
  assert.deepEqual([redeliver.status, redeliver.body], [202, { id: events.body.data[0].id, status: 'pending' }]);
  assert.equal((await call({ method: 'POST', url: `/sandbox/merchants/${m.mchid}/notifications/999999/redeliver` })).status, 404);

  const moved = await call({ method: 'POST', url: `/sandbox/merchants/${m.mchid}/clock`, body: { advance_seconds: 1.5 } });
  assert.equal(moved.status, 200);
  assert.deepEqual(moved.body, { mchid: m.mchid, offset_seconds: 1.5, now: new Date(clock.now() + 1500).toISOString(), now_ms: clock.now() + 1500 });
  assert.deepEqual((await call({ method: 'GET', url: `/sandbox/merchants/${m.mchid}/clock` })).body, moved.body);
});

test('refusals of the domain keep their codes: unknown merchant 404, paying a paid order 409, taken mchid 409', async () => {
  assert.deepEqual((await call({ method: 'GET', url: '/sandbox/merchants/1234567' })).body.error, 'MERCHANT_NOT_FOUND');
  const m = (await call({ method: 'POST', url: '/sandbox/merchants', body: {} })).body;
  const again = await call({ method: 'POST', url: '/sandbox/merchants', body: { mchid: m.mchid } });
  assert.deepEqual([again.status, again.body.error], [409, 'MERCHANT_EXISTS']);
  const missing = await call({ method: 'POST', url: `/sandbox/merchants/${m.mchid}/orders/NONE/pay` });
  assert.deepEqual([missing.status, missing.body.error], [404, 'ORDER_NOT_FOUND']);
});
