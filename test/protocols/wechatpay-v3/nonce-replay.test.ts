/**
 * A nonce is good for one request (wechatpay-v3.md §2.3). It is recorded in the first transaction the request
 * runs, so these cover every way a request can end: a state change, a failed (rolled back) change, a read, a
 * refusal before the store, no store at all, and copies racing each other. On every database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDatabases } from '../../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { authorization } from '../../helpers/v3-signer.ts';

for (const database of testDatabases()) {
  describe(`APIv3 nonce replay on ${database.name}`, () => {
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
    const send = (url: string, body: string) =>
      gw.app.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': 'application/json', authorization: authorization(c, 'POST', url, body) },
      });

    /** Sends the same signed request twice (same nonce): the replay must answer 401 "nonce invalid" whatever the first said. */
    const twice = async (method: 'GET' | 'POST', url: string, body: string, nonce: string) => {
      const header = authorization(c, method, url, body, { nonce });
      const once = () =>
        gw.app.inject({
          method,
          url,
          ...(method === 'POST' ? { payload: body } : {}),
          headers: { 'content-type': 'application/json', authorization: header },
        });
      const first = await once();
      const again = await once();
      assert.equal(again.statusCode, 401, `replay of ${method} ${url} answered ${again.statusCode} ${again.body}`);
      assert.equal(again.json().detail.detail.issue, 'nonce invalid');
      assert.equal(again.headers['wechatpay-signature'], undefined, 'a refusal is not signed');
      return first;
    };

    test('a replay is refused whether the first request changed state, failed, only read, or never reached the store', async () => {
      const codepay = JSON.stringify({
        appid: c.appid,
        mchid: c.mchid,
        description: 'x',
        out_trade_no: 'RPL2',
        payer: { auth_code: '134567890123450000' },
        amount: { total: 300, currency: 'CNY' },
        scene_info: { store_info: { out_id: 'S1' } },
      });
      assert.equal((await twice('POST', '/v3/pay/transactions/codepay', codepay, 'replay-codepay-0001')).statusCode, 200);
      await gw.advance(c.mchid, 16);
      const reverseUrl = '/v3/pay/transactions/out-trade-no/RPL2/reverse';
      const reverseBody = JSON.stringify({ appid: c.appid, mchid: c.mchid });
      assert.equal((await twice('POST', reverseUrl, reverseBody, 'replay-reverse-0001')).statusCode, 200);
      const view = await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/RPL2`);
      assert.equal(view.body.state, 'REVOKED');
      assert.equal(view.body.refunds.length, 1, 'the replayed reverse made no second refund');
      // A first request that failed inside its transaction (rolled back) still used up its nonce.
      const closeUrl = '/v3/pay/transactions/out-trade-no/NOSUCH/close';
      assert.equal((await twice('POST', closeUrl, JSON.stringify({ mchid: c.mchid }), 'replay-close-00001')).statusCode, 404);
      // A read, a request refused before any store work, and one that never touches orders.
      assert.equal((await twice('GET', `/v3/pay/transactions/out-trade-no/RPL2?mchid=${c.mchid}`, '', 'replay-query-00001')).statusCode, 200);
      assert.equal((await twice('POST', '/v3/pay/transactions/native', '{not json', 'replay-badbody-001')).statusCode, 400);
      assert.equal((await twice('GET', '/v3/certificates', '', 'replay-certs-00001')).statusCode, 200);
    });

    test('eight copies of one reverse at once: one answer 200, seven 401, one refund', async () => {
      const codepay = JSON.stringify({
        appid: c.appid,
        mchid: c.mchid,
        description: 'x',
        out_trade_no: 'RPL3',
        payer: { auth_code: '134567890123450000' },
        amount: { total: 300, currency: 'CNY' },
        scene_info: { store_info: { out_id: 'S1' } },
      });
      assert.equal((await send('/v3/pay/transactions/codepay', codepay)).statusCode, 200);
      await gw.advance(c.mchid, 16);
      const url = '/v3/pay/transactions/out-trade-no/RPL3/reverse';
      const body = JSON.stringify({ appid: c.appid, mchid: c.mchid });
      const header = authorization(c, 'POST', url, body, { nonce: 'replay-concurrent-01' });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          gw.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', authorization: header } }),
        ),
      );
      assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 401, 401, 401, 401, 401, 401, 401]);
      const view = await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/RPL3`);
      assert.equal(view.body.refunds.length, 1);
    });
  });
}
