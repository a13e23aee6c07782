/** Requests that must not pass: each gets 401 SIGN_ERROR and changes nothing (wechatpay-v3.md §2.3). */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { authorization, type SignOptions } from '../../helpers/v3-signer.ts';

const database = primaryDatabase();

describe('APIv3 authentication', () => {
  let gw: TestGateway;
  let c: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    c = await gw.newMerchant();
  });
  after(async () => {
    await gw.close();
  });

  const nativeBody = (no: string) =>
    JSON.stringify({
      appid: c.appid,
      mchid: c.mchid,
      description: 'x',
      out_trade_no: no,
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 100 },
    });
  const send = (url: string, body: string, o: SignOptions = {}, extraHeaders: Record<string, string> = {}) =>
    gw.app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'content-type': 'application/json', authorization: authorization(c, 'POST', url, body, o), ...extraHeaders },
    });
  const orderState = async (no: string) => (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/${no}`)).status;

  test('a correctly signed request passes and its response is signed', async () => {
    const res = await send('/v3/pay/transactions/native', nativeBody('OK1'));
    assert.equal(res.statusCode, 200);
    for (const h of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-serial', 'wechatpay-signature', 'request-id']) assert.ok(res.headers[h], h);
    assert.equal(res.headers['wechatpay-serial'], c.platformSerialNo);
    assert.match(String(res.headers['request-id']), /^[0-9A-F]{32}$/);
    assert.match(String(res.headers['wechatpay-nonce']), /^[A-Za-z0-9]{32}$/);
  });

  const { privateKey: strangerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attacks: [string, (no: string) => [string, SignOptions, Record<string, string>?]][] = [
    ['tampered body', (no) => [nativeBody(no), { signedBody: nativeBody(no).replace('"total":100', '"total":1') }]],
    ['wrong key', (no) => [nativeBody(no), { privateKeyPem: strangerKey.export({ type: 'pkcs8', format: 'pem' }) as string }]],
    ['unknown serial', (no) => [nativeBody(no), { serial: '1234567890ABCDEF' }]],
    ['stale timestamp', (no) => [nativeBody(no), { timestamp: Math.floor(Date.now() / 1000) - 301 }]],
    // 302, not 301: the gateway reads its clock a moment later, and if a second begins in between, 301 ahead of
    // the test's second is 300 ahead of the gateway's — inside the window (a failure seen once on a slow machine).
    ['future timestamp', (no) => [nativeBody(no), { timestamp: Math.floor(Date.now() / 1000) + 302 }]],
    ['short nonce', (no) => [nativeBody(no), { nonce: '123456789' }]],
    ['unknown mchid', (no) => [nativeBody(no), { mchid: '1999999999' }]],
  ];
  for (const [name, make] of attacks) {
    test(`${name} → 401 SIGN_ERROR, nothing created`, async () => {
      const no = `ATK${name.replace(/\W/g, '')}`.slice(0, 32);
      const [body, options] = make(no);
      const res = await send('/v3/pay/transactions/native', body, options);
      assert.equal(res.statusCode, 401);
      const json = res.json();
      assert.equal(json.code, 'SIGN_ERROR');
      assert.equal(json.detail.location, 'authorization');
      assert.equal(await orderState(no), 404);
    });
  }

  test('a replayed nonce is refused and the replay changes nothing', async () => {
    const url = '/v3/pay/transactions/native';
    const body = nativeBody('RPL1');
    const header = authorization(c, 'POST', url, body, { nonce: 'replayed-nonce-0001' });
    const first = await gw.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', authorization: header } });
    assert.equal(first.statusCode, 200);
    const again = await gw.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', authorization: header } });
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().detail.detail.issue, 'nonce invalid');
  });

  test('missing or garbled Authorization → 401', async () => {
    for (const authorizationHeader of [undefined, 'Basic abc', 'WECHATPAY2-SHA256-RSA2048 mchid="1"']) {
      const res = await gw.app.inject({
        method: 'GET',
        url: `/v3/pay/transactions/out-trade-no/X?mchid=${c.mchid}`,
        headers: authorizationHeader ? { authorization: authorizationHeader } : {},
      });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().code, 'SIGN_ERROR');
    }
  });

  test("the body's mchid must be the signer's → 403 NO_AUTH", async () => {
    const other = await gw.newMerchant();
    const body = nativeBody('NOAUTH1').replace(`"mchid":"${c.mchid}"`, `"mchid":"${other.mchid}"`);
    const res = await send('/v3/pay/transactions/native', body);
    assert.deepEqual([res.statusCode, res.json().code], [403, 'NO_AUTH']);
  });

  test('bad bodies → 400 PARAM_ERROR with a JSON pointer, nothing created', async () => {
    const cases: [string, string][] = [
      ['{not json', '/'],
      [nativeBody('BAD1').replace('"total":100', '"total":"100"'), '/amount/total'],
      [nativeBody('BAD2').replace('"total":100', '"total":1.5'), '/amount/total'],
      [nativeBody('BAD3').replace('"total":100', '"total":-1'), '/amount/total'],
      [nativeBody('BAD4!'), '/out_trade_no'],
      [nativeBody('BAD5').replace('"description":"x",', ''), '/description'],
    ];
    for (const [body, field] of cases) {
      const res = await send('/v3/pay/transactions/native', body);
      assert.equal(res.statusCode, 400, body);
      assert.equal(res.json().code, 'PARAM_ERROR');
      assert.equal(res.json().detail.field, field);
    }
    assert.equal(await orderState('BAD1'), 404);
  });
});
