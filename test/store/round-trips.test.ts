/**
 * Round trips and statements on the PostgreSQL server per request, counted on the wire (a proxy that reads the
 * protocol, test/helpers/round-trip-counter.ts): an APIv3 reverse of a paid code payment is 2 round trips (`BEGIN,
 * nonce, order FOR UPDATE joined with its merchant`, then `order + history + refund, COMMIT`: 5 statements), an
 * APIv3 query 1 round trip of 2 statements (`nonce`, the order joined with its merchant).
 * PostgreSQL server only: PGlite runs in-process, there is no round trip to save.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { postgresOnly } from '../helpers/database.ts';
import { ADMIN_TOKEN, codepayBody, merchantClient, type Credentials } from '../helpers/gateway.ts';
import { startRoundTripCounter, type RoundTripCounter } from '../helpers/round-trip-counter.ts';

const server = postgresOnly();
const PAYS_AT_ONCE = '134567890123450000';

describe('round trips per APIv3 request on the PostgreSQL server', { skip: !server && 'PostgreSQL server only (TEST_DATABASE_URL)' }, () => {
  let counter: RoundTripCounter;
  let gateway: Gateway;
  before(async () => {
    const { databaseUrl, schema } = await server!.storeOptions();
    counter = await startRoundTripCounter(databaseUrl!);
    // No background work during a count: the sweeper and the notification worker wait an hour.
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      store: { databaseUrl: counter.url, schema },
      adminToken: ADMIN_TOKEN,
      logLevel: false,
      sweepIntervalMs: 3_600_000,
      notifyIntervalMs: 3_600_000,
    });
  });
  after(async () => {
    await gateway.close();
    await counter.close();
    await server!.cleanup();
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, gateway.baseUrl), {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json() as Promise<any>;
  };
  const counted = async (call: () => Promise<any>): Promise<[any, number, number]> => {
    counter.reset();
    const result = await call();
    return [result, counter.count(), counter.statements()];
  };

  test('reverse of a paid code payment: 2; query: 1; both answers as the merchant expects', async () => {
    const c: Credentials = await admin('POST', '/sandbox/merchants', {});
    const wx = merchantClient(c);
    const paid = await wx.v3.pay.transactions.codepay.post(codepayBody(c, 'RT1', PAYS_AT_ONCE, 'counted'));
    assert.equal(paid.data.trade_state, 'SUCCESS');
    const query = () => wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: 'RT1' });
    const [queried, queryTrips, queryStatements] = await counted(query);
    assert.equal(queried.data.trade_state, 'SUCCESS');
    assert.equal(queryTrips, 1, 'a query is one round trip');
    assert.equal(queryStatements, 2, 'a query is two statements: its nonce, the order with its merchant');

    await admin('POST', `/sandbox/merchants/${c.mchid}/clock`, { advance_seconds: 16 }); // reverse allowed after 15 s
    const [reversed, reverseTrips, reverseStatements] = await counted(() =>
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: c.appid, mchid: c.mchid }, { out_trade_no: 'RT1' }),
    );
    assert.deepEqual(reversed.data, { appid: c.appid, mchid: c.mchid, out_trade_no: 'RT1' });
    assert.ok(reverseTrips <= 2, `a reverse is at most 2 round trips, was ${reverseTrips}`);
    assert.equal(reverseStatements, 5, 'BEGIN, the nonce, the order locked with its merchant, its change, COMMIT');
    const view = await admin('GET', `/sandbox/merchants/${c.mchid}/orders/RT1`);
    assert.equal(view.state, 'REVOKED');
    assert.deepEqual(
      view.refunds.map((r: any) => [r.cause, r.amount]),
      [['reverse', 1000]],
    );
    const [after, afterTrips, afterStatements] = await counted(query);
    assert.equal(after.data.trade_state, 'REVOKED');
    assert.equal(afterTrips, 1);
    assert.equal(afterStatements, 2);
  });
});
