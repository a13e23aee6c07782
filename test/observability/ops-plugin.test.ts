/**
 * /healthz, /readyz and /metrics answer without the admin token; /readyz says 503 with the reason when a
 * migration of this build is missing or the database does not answer, and 200 again once it is back.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const database = primaryDatabase();
after(() => database.cleanup());

test('operations endpoints: no token, readiness follows the database', { timeout: 120_000 }, async () => {
  const gw = await startTestGateway(database);
  try {
    const get = async (path: string) => {
      const res = await fetch(new URL(path, gw.baseUrl));
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    };
    assert.deepEqual(JSON.parse((await get('/healthz')).text), { status: 'ok' });
    assert.equal((await get('/readyz')).status, 200);

    // The sandbox still needs its token; the operations endpoints do not.
    assert.equal((await fetch(new URL('/sandbox/merchants/1', gw.baseUrl))).status, 401);
    const merchant = await gw.newMerchant();
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.text, /tradegate_requests_total\{dialect="sandbox",operation="\/sandbox\/merchants",outcome="ok",code=""\} 1/);
    assert.match(
      metrics.text,
      /tradegate_requests_total\{dialect="sandbox",operation="\/sandbox\/merchants\/:mchid",outcome="refused",code="UNAUTHORIZED"\} 1/,
    );
    assert.match(metrics.text, /tradegate_outbox_backlog 0/);
    // The store's pool and shared transactions, on either database (the embedded one is a pool of one connection).
    assert.match(metrics.text, /^tradegate_store_pool_connections\{state="max"\} [1-9]\d*$/m);
    assert.match(metrics.text, /^tradegate_store_shared_transactions_total \d+$/m);
    assert.equal(metrics.text.includes(merchant.mchid), false, 'no merchant data');

    // A migration of this build missing: not ready, and it says which.
    await gw.store.db.query('DELETE FROM schema_migrations WHERE version = 1');
    const pending = await get('/readyz');
    assert.equal(pending.status, 503);
    assert.deepEqual(JSON.parse(pending.text), { status: 'not ready', reason: 'migrations pending: 1' });
    await gw.store.db.query(`INSERT INTO schema_migrations (version, name) VALUES (1, 'restored')`);
    assert.equal((await get('/readyz')).status, 200);
  } finally {
    await gw.close();
  }
});

test('readiness: 503 database unreachable once the database is gone', { timeout: 120_000 }, async () => {
  const gw = await startTestGateway(database);
  try {
    await gw.store.db.close();
    const res = await fetch(new URL('/readyz', gw.baseUrl));
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'not ready', reason: 'database unreachable' });
    assert.equal((await fetch(new URL('/healthz', gw.baseUrl))).status, 200, 'the process is still alive');
  } finally {
    await gw.close().catch(() => undefined);
  }
});
