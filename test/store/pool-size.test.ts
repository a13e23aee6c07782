/**
 * `--database-connections`: a process's pool size. The default is small (database.ts), so no operation may need a
 * second connection while it holds one: with a single connection, concurrent requests of every kind must still all
 * be answered (a transaction waiting on the pool for a second connection would wait forever behind itself).
 * PostgreSQL server only: PGlite has one connection by construction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresOnly } from '../helpers/database.ts';
import { codepayBody, merchantClient, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const server = postgresOnly();
const PAYS_AT_ONCE = '134567890123450000';

describe('--database-connections on the PostgreSQL server', { skip: !server && 'PostgreSQL server only (TEST_DATABASE_URL)' }, () => {
  let gateway: TestGateway;
  before(async () => {
    // A short bound on getting a connection: an operation that needed a second one would fail in 2 s, not hang.
    gateway = await startTestGateway(server!, undefined, { store: { connections: 1, connectTimeoutMs: 2_000 } });
  });
  after(async () => {
    await gateway.close();
    await server!.cleanup();
  });

  test('one connection serves concurrent pays, queries, reverses, closes and refunds; /metrics shows the pool', async () => {
    const c = await gateway.newMerchant();
    const wx = merchantClient(c);
    const tx = wx.v3.pay.transactions;
    const pay = (no: string) => tx.codepay.post(codepayBody(c, no, PAYS_AT_ONCE, 'one connection'));
    const open = (no: string) =>
      tx.native.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'one connection',
        out_trade_no: no,
        notify_url: 'https://example.com/n',
        amount: { total: 500 },
      });
    const nos = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'];
    const paid = await Promise.all([...nos.map(pay), open('N1'), open('N2')]);
    assert.deepEqual(
      paid.slice(0, 6).map((r) => r.data.trade_state),
      nos.map(() => 'SUCCESS'),
    );

    await gateway.advance(c.mchid, 301); // reverse allowed after 15 s, close after 5 min
    const query = (no: string) => tx.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: no });
    const answers = await Promise.all([
      ...['P1', 'P2', 'P3'].map((no) => tx.outTradeNo.$out_trade_no$.reverse.post({ appid: c.appid, mchid: c.mchid }, { out_trade_no: no })),
      ...['N1', 'N2'].map((no) => tx.outTradeNo.$out_trade_no$.close.post({ mchid: c.mchid }, { out_trade_no: no })),
      ...['P4', 'P5'].map((no) =>
        wx.v3.refund.domestic.refunds.post({ out_trade_no: no, out_refund_no: `R-${no}`, amount: { refund: 400, total: 1000, currency: 'CNY' } }),
      ),
      ...nos.map(query),
    ]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200, 204, 204, 200, 200, ...nos.map(() => 200)],
    );
    const states = await Promise.all(
      [...nos, 'N1', 'N2'].map(async (no) => (await gateway.admin('GET', `/sandbox/merchants/${c.mchid}/orders/${no}`)).body.state),
    );
    assert.deepEqual(states, ['REVOKED', 'REVOKED', 'REVOKED', 'REFUND', 'REFUND', 'SUCCESS', 'CLOSED', 'CLOSED']);

    const metrics = await (await fetch(new URL('/metrics', gateway.baseUrl))).text();
    assert.match(metrics, /^tradegate_store_pool_connections\{state="max"\} 1$/m);
    // Requests waiting for the one connection joined the transaction being formed (shared-transactions.ts).
    const counted = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    const transactions = counted('tradegate_store_shared_transactions_total');
    assert.ok(transactions >= 1);
    assert.ok(counted('tradegate_store_shared_transaction_units_total') > transactions, 'several operations shared a transaction');
  });
});
