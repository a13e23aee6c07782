/**
 * The fault lab at the HTTP edge: the per-request header counts only for an authenticated caller, a malformed
 * one is ignored, and a fault's hold is exempt from the server's idle-socket timeout.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { merchantClient, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { authorization } from '../helpers/v3-signer.ts';

const database = primaryDatabase();

describe('fault transport', () => {
  let gw: TestGateway;
  let c: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    c = await gw.newMerchant();
  });
  after(async () => {
    await gw.close();
  });

  const native = (no: string) => ({
    appid: c.appid,
    mchid: c.mchid,
    description: 'n',
    out_trade_no: no,
    notify_url: 'http://127.0.0.1:9/n',
    amount: { total: 100, currency: 'CNY' },
  });

  test('the header is ignored unless the request authenticates', async () => {
    const body = JSON.stringify(native('H1'));
    const url = '/v3/pay/transactions/native';
    const res = await fetch(new URL(url, gw.baseUrl), {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'tradegate-fault': 'effect=drop',
        authorization: authorization(c, 'POST', url, body, { signedBody: '{}' }),
      },
    });
    assert.equal(res.status, 401, 'answered: the bad signature, not the fault');
    assert.equal(((await res.json()) as any).code, 'SIGN_ERROR');
  });

  test('a malformed header is ignored; a well-formed one fires once', async () => {
    const wx = merchantClient(c);
    const created = await wx.v3.pay.transactions.native.post(native('H2'), { headers: { 'Tradegate-Fault': 'effect=explode' } });
    assert.equal(created.status, 200);
    const err = await wx.v3.pay.transactions.native
      .post(native('H3'), { headers: { 'Tradegate-Fault': 'effect=system_error; commit=before' } })
      .catch((e: any) => e.response);
    assert.deepEqual([err.status, err.data.code], [500, 'SYSTEM_ERROR']);
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/H3`)).status, 404, 'commit=before: no order');
    assert.equal((await wx.v3.pay.transactions.native.post(native('H3'))).status, 200, 'the retry creates it');
  });

  test("a hold outlasts the server's idle-socket timeout", async () => {
    const server = gw.app.server;
    const previous = server.timeout;
    server.timeout = 150;
    try {
      // The timeout is live: an idle connection is closed.
      const idleClosed = await new Promise<boolean>((resolve) => {
        const socket = connect(Number(new URL(gw.baseUrl).port), '127.0.0.1');
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(false);
        }, 5000);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.on('error', () => undefined);
      });
      assert.equal(idleClosed, true);
      await gw.admin('POST', `/sandbox/merchants/${c.mchid}/faults`, { operation: 'create', effect: 'delay', delay_ms: 600 });
      const started = Date.now();
      const created = await merchantClient(c).v3.pay.transactions.native.post(native('H4'));
      assert.equal(created.status, 200);
      assert.ok(Date.now() - started >= 550, 'answered after the hold');
    } finally {
      server.timeout = previous;
    }
  });
});
