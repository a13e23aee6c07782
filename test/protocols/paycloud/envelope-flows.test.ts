/**
 * The envelope against a real gateway: exact value text in signatures (`1.0`, `200.06`, empty `attach`), the
 * refusals a caller can provoke before any operation runs (1xxx), each leaving the store untouched, and the
 * transport tolerances of §1 (alias and double-slash paths, content types, psn).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { assertRefused, PayCloudClient, signWith, type AppCredentials, type Value } from './paycloud-client.ts';

const database = primaryDatabase();
const PAYS = '134567890123450000';

describe('PayCloud envelope', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database);
  });
  after(async () => {
    await gw.close();
  });

  const setup = async (bodyType: 'form' | 'json' = 'json', settings: Record<string, unknown> = {}) => {
    const c = await gw.newMerchant(settings);
    return { mchid: c.mchid, pc: new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, bodyType) };
  };
  const orderStatus = async (mchid: string, no: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`)).status;
  const pay = (no: string, amount: Value, more: Record<string, Value> = {}) => ({
    merchant_order_no: no,
    auth_code: PAYS,
    price_currency: 'CNY',
    trans_amount: amount,
    description: 'd',
    ...more,
  });
  /** Posts a hand-made body and reads the answer with the client's verification. */
  const rawPost = async (pc: PayCloudClient, body: string, contentType?: string, path = 'api/entry') =>
    // Bytes, not a string: fetch would label a string body text/plain.
    pc.read(await fetch(new URL(path, pc.baseUrl), { method: 'POST', body: Buffer.from(body), headers: contentType ? { 'content-type': contentType } : {} }));

  test('each merchant gets its own app bound to its mchid; every app gets the one gateway public key', async () => {
    const [a, b] = [await gw.newMerchant(), await gw.newMerchant()];
    const [pa, pb] = [a.paycloud as AppCredentials, b.paycloud as AppCredentials];
    assert.deepEqual(Object.keys(pa).sort(), [
      'appId',
      'appPrivateKeyPkcs8Base64',
      'appPublicKeySpkiBase64',
      'gatewayPublicKeySpkiBase64',
      'merchantNo',
      'storeNo',
    ]);
    assert.match(pa.appId, /^wz[0-9a-f]{16}$/);
    assert.deepEqual([pa.merchantNo, pb.merchantNo], [a.mchid, b.mchid]);
    assert.notEqual(pa.appId, pb.appId);
    assert.notEqual(pa.appPublicKeySpkiBase64, pb.appPublicKeySpkiBase64);
    assert.equal(pa.gatewayPublicKeySpkiBase64, pb.gatewayPublicKeySpkiBase64);
    assert.deepEqual((await gw.admin('GET', `/sandbox/merchants/${a.mchid}`)).body.paycloud, pa);
  });

  test('JSON numbers are signed as sent: 1.0 and 200.06; an empty attach is left out of the signature', async () => {
    const { mchid, pc } = await setup('json');
    const one = await pc.call('bscanc.pay.submit', pay('V1', { raw: '1.0' }, { attach: '' }));
    assert.deepEqual([one.envelope.code, one.data.trans_amount, one.data.attach], ['0', 1, undefined]);
    const odd = await pc.call('bscanc.pay.submit', pay('V2', { raw: '200.06' }));
    assert.equal(odd.data.trans_amount, 200.06);
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/V1`)).body.amount, 100);
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/V2`)).body.amount, 20006);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'V1' })).data.attach, undefined);
    // §3.1 last resort: a client that signs the shortest number text while its JSON library writes `1.0`.
    const normalized = await pc.call('bscanc.pay.submit', pay('V3', { raw: '1.0' }), { signed: { trans_amount: '1' } });
    assert.equal(normalized.envelope.code, '0');
  });

  test('form values are signed as decoded: "1.0", "200.06", empty attach, spaces and non-ASCII text', async () => {
    const { pc } = await setup('form');
    const one = await pc.call('bscanc.pay.submit', pay('F1', '1.0', { attach: '', description: 'café au lait & 茶 +1' }));
    assert.deepEqual([one.envelope.code, one.data.trans_amount], ['0', 1]);
    assert.equal((await pc.call('bscanc.pay.submit', pay('F2', '200.06', { attach: 'a=b&c' }))).data.trans_amount, 200.06);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'F2' })).data.attach, 'a=b&c');
  });

  test('amounts follow the currency exponent exactly: JPY 1.0 is 1, JPY 1.5 and CNY 0.001 are refused', async () => {
    const { mchid, pc } = await setup('json');
    const yen = await pc.call('bscanc.pay.submit', { ...pay('J1', { raw: '1.0' }), price_currency: 'JPY' });
    assert.deepEqual([yen.data.trans_amount, yen.data.price_currency], [1, 'JPY']);
    assertRefused(await pc.call('bscanc.pay.submit', { ...pay('J2', { raw: '1.5' }), price_currency: 'JPY' }), '1001');
    assertRefused(await pc.call('bscanc.pay.submit', pay('J3', '0.001')), '1001');
    assertRefused(await pc.call('bscanc.pay.submit', pay('J4', { raw: '1e2' })), '1001');
    assertRefused(await pc.call('bscanc.pay.submit', pay('J5', '0')), '1001');
    assertRefused(await pc.call('bscanc.pay.submit', { ...pay('J6', '1'), price_currency: 'XXX' }), '1001');
    for (const no of ['J2', 'J3', 'J4', 'J5', 'J6']) assert.equal(await orderStatus(mchid, no), 404);
  });

  test('bad sign 1002, stale timestamp 1003, unknown app_id 1004: nothing is created', async () => {
    const { mchid, pc } = await setup('form');
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assertRefused(await pc.call('bscanc.pay.submit', pay('X1', '1'), { privateKey: stranger }), '1002');
    assertRefused(await pc.call('bscanc.pay.submit', pay('X1', '5'), { signed: { trans_amount: '1' } }), '1002');
    assertRefused(await pc.call('bscanc.pay.submit', pay('X1', '1'), { timestamp: String(Date.now() - 16 * 60_000) }), '1003');
    assertRefused(await pc.call('bscanc.pay.submit', pay('X1', '1'), { timestamp: String(Date.now() + 16 * 60_000) }), '1003');
    assertRefused(await pc.call('bscanc.pay.submit', pay('X1', '1'), { envelope: { app_id: 'wz0000000000000000' } }), '1004');
    assert.equal(await orderStatus(mchid, 'X1'), 404);
    const seconds = await pc.call('bscanc.pay.submit', pay('X2', '1'), { timestamp: String(Math.floor(Date.now() / 1000)) });
    assert.equal(seconds.envelope.code, '0', '10-digit seconds are accepted');
  });

  test("an app_id used with another merchant's merchant_no is refused 1006 and changes nothing", async () => {
    const a = await setup('form');
    const b = await setup('form');
    assert.equal((await b.pc.call('bscanc.pay.submit', pay('B1', '10'))).data.trans_status, 2);
    await gw.advance(b.mchid, 20);
    assertRefused(await a.pc.call('order.revoker', { merchant_order_no: 'B1' }, { envelope: { merchant_no: b.mchid } }), '1006');
    assertRefused(await a.pc.call('bscanc.pay.submit', pay('A1', '1'), { envelope: { merchant_no: b.mchid } }), '1006');
    assertRefused(await a.pc.call('order.query', { merchant_order_no: 'B1' }), '2001');
    const view = (await gw.admin('GET', `/sandbox/merchants/${b.mchid}/orders/B1`)).body;
    assert.deepEqual([view.state, view.refunds.length], ['SUCCESS', 0]);
    assert.equal(await orderStatus(b.mchid, 'A1'), 404);
    assert.equal(await orderStatus(a.mchid, 'A1'), 404);
  });

  test('method, format and transport refusals: 1005, 1007, 1001, 1002', async () => {
    const { pc } = await setup('json');
    assertRefused(await pc.call('order.unknown', {}), '1005');
    assertRefused(await pc.call('pay.entrycode', {}), '1005');
    assertRefused(await pc.call('order.query', { merchant_order_no: 'Q' }, { envelope: { format: 'XML' } }), '1007');
    assertRefused(await pc.call('order.query', { merchant_order_no: 'Q' }, { envelope: { version: '2.0' } }), '1007');
    assertRefused(await pc.call('order.query', { merchant_order_no: 'Q' }, { envelope: { sign_type: 'RSA' } }), '1007');
    assertRefused(await pc.call('order.query', {}, { httpMethod: 'GET' }), '1007');
    assertRefused(await rawPost(pc, '{"app_id":', 'application/json'), '1007');
    assertRefused(await rawPost(pc, 'a=1&a=2', 'application/x-www-form-urlencoded'), '1007');
    assertRefused(await rawPost(pc, 'app_id=x&method=order.query&timestamp=1', 'application/x-www-form-urlencoded'), '1002');
    assertRefused(await pc.call('order.query', { merchant_order_no: 'Q' }, { envelope: { merchant_no: '' } }), '1001');
    assertRefused(await pc.call('bscanc.pay.submit', pay('E1', '1', { description: 'emoji 😀' })), '1001');
    assertRefused(await pc.call('order.query', {}), '1001');
  });

  test('routing is by method: alias paths, double slashes, a missing content type; psn is echoed or generated', async () => {
    const { pc } = await setup('json');
    const viaVoidAlias = await pc.call('bscanc.pay.submit', pay('R1', '1'), { path: 'api/entry/void' });
    assert.equal(viaVoidAlias.data.trans_status, 2);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'R1' }, { path: '//api/entry' })).data.trans_status, 2);
    assert.equal((await pc.call('order.query', { merchant_order_no: 'R1' }, { path: 'api/entry/anything' })).data.trans_status, 2);
    const params: Record<string, Value> = {
      app_id: pc.app.appId,
      method: 'order.query',
      format: 'JSON',
      charset: 'UTF-8',
      sign_type: 'RSA2',
      version: '1.0',
      timestamp: String(Date.now()),
      merchant_no: pc.app.merchantNo,
      merchant_order_no: 'R1',
    };
    const body = JSON.stringify({ ...params, sign: signWith(params, pc.appKey) });
    assert.equal((await rawPost(pc, body)).data.trans_status, 2);
    const echoed = await pc.call('order.query', { merchant_order_no: 'R1' }, { psn: '06211230451234567890' });
    assert.equal(echoed.envelope.psn, '06211230451234567890');
    assert.match(viaVoidAlias.envelope.psn, /^\d{20}$/);
  });
});
