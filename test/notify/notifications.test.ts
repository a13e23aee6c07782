/**
 * Notifications end to end: a local receiver decrypts and verifies them with wechatpay-axios-plugin's own
 * helpers; retries follow the schedule on the merchant's clock; a restart between attempts loses nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { startGateway } from '../../src/gateway.ts';
import { primaryDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, merchantClient, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { startReceiver, type Received } from '../helpers/receiver.ts';

const database = primaryDatabase();

function openEnvelope(c: Credentials, r: Received, publicKeyPem: string) {
  const h = r.headers;
  const message = Formatter.response(String(h['wechatpay-timestamp']), String(h['wechatpay-nonce']), r.body);
  assert.equal((Rsa as any).verify(message, String(h['wechatpay-signature']), publicKeyPem), true, 'signature verifies');
  assert.equal(h['wechatpay-signature-type'], 'WECHATPAY2-SHA256-RSA2048');
  const envelope = JSON.parse(r.body);
  const { ciphertext, nonce, associated_data: aad } = envelope.resource;
  return { envelope, resource: JSON.parse((Aes as any).AesGcm.decrypt(ciphertext, c.apiV3Key, nonce, aad)) };
}

describe('APIv3 notifications', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const gateway = async () => {
    const gw = await startTestGateway(database);
    cleanups.push(() => gw.close());
    return gw;
  };
  const receiver = async (answers: Parameters<typeof startReceiver>[0]) => {
    const r = await startReceiver(answers);
    cleanups.push(r.close);
    return r;
  };
  const nativeOrder = (c: Credentials, no: string, url: string) => ({
    appid: c.appid,
    mchid: c.mchid,
    description: 'notify',
    out_trade_no: no,
    notify_url: url,
    amount: { total: 500, currency: 'CNY' },
  });
  const notifications = async (gw: TestGateway, mchid: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/notifications`)).body.data;

  test('payment and refund notifications decrypt and verify with the client library', async () => {
    const gw = await gateway();
    const c = await gw.newMerchant();
    const rx = await receiver(() => ({ status: 200, body: '' }));
    const wx = merchantClient(c);
    await wx.v3.pay.transactions.native.post(nativeOrder(c, 'NT1', rx.url));
    await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/NT1/pay`);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 1);
    const paid = openEnvelope(c, rx.received[0]!, c.platformCertificatePem);
    assert.equal(paid.envelope.event_type, 'TRANSACTION.SUCCESS');
    assert.equal(paid.envelope.resource.original_type, 'transaction');
    assert.equal(paid.resource.out_trade_no, 'NT1');
    assert.equal(paid.resource.trade_state, 'SUCCESS');
    assert.equal(paid.resource.amount.total, 500);

    const order = (await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: 'NT1' })).data;
    await wx.v3.refund.domestic.refunds.post({
      transaction_id: order.transaction_id,
      out_refund_no: 'NT1-R1',
      amount: { refund: 200, total: 500, currency: 'CNY' },
    });
    await gw.notifier.tick();
    assert.equal(rx.received.length, 1, 'the refund is reported when it settles, not before');
    await gw.advance(c.mchid, 1);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 2);
    const refund = openEnvelope(c, rx.received[1]!, c.platformCertificatePem);
    assert.equal(refund.envelope.event_type, 'REFUND.SUCCESS');
    assert.deepEqual([refund.resource.out_refund_no, refund.resource.refund_status, refund.resource.amount.refund], ['NT1-R1', 'SUCCESS', 200]);
  });

  test('a receiver answering 500 three times sees exactly the schedule (0, +15 s, +30 s, +60 s)', async () => {
    const gw = await gateway();
    const c = await gw.newMerchant();
    const rx = await receiver((n) => (n <= 3 ? { status: 500, body: 'busy' } : { status: 200, body: '{"code":"SUCCESS"}' }));
    const wx = merchantClient(c);
    await wx.v3.pay.transactions.native.post(nativeOrder(c, 'NT2', rx.url));
    await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/NT2/pay`);
    const steps: [number, number][] = [
      [0, 1],
      [14, 1],
      [1, 2],
      [14, 2],
      [1, 3],
      [29, 3],
      [1, 4],
      [3600, 4],
    ];
    for (const [seconds, expected] of steps) {
      if (seconds) await gw.advance(c.mchid, seconds);
      await gw.notifier.tick();
      assert.equal(rx.received.length, expected, `after +${seconds} s`);
    }
    const [event] = await notifications(gw, c.mchid);
    assert.equal(event.status, 'delivered');
    assert.deepEqual(
      event.attempt_log.map((a: any) => a.status_code),
      [500, 500, 500, 200],
    );
    const ids = new Set(rx.received.map((r) => JSON.parse(r.body).id));
    assert.equal(ids.size, 1, 'every retry carries the same event id');
    const redeliver = await gw.admin('POST', `/sandbox/merchants/${c.mchid}/notifications/${event.id}/redeliver`);
    assert.equal(redeliver.status, 202);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 5);
  });

  test('a restart between attempts loses nothing: delivery resumes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tradegate-notify-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const rx = await receiver((n) => (n === 1 ? { status: 503, body: '' } : { status: 204, body: '' }));
    const start = () => startGateway({ host: '127.0.0.1', port: 0, store: { dataDir }, adminToken: ADMIN_TOKEN, logLevel: false, notifyIntervalMs: 3_600_000 });
    const first = await start();
    cleanups.push(() => first.close());
    const admin = (gw: { baseUrl: string }, method: string, path: string, body?: unknown) =>
      fetch(new URL(path, gw.baseUrl), {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }).then((r) => r.json() as Promise<any>);
    const c = (await admin(first, 'POST', '/sandbox/merchants', {})) as Credentials;
    await merchantClient({ ...c, baseUrl: first.baseUrl }).v3.pay.transactions.native.post(nativeOrder(c, 'NT3', rx.url));
    await admin(first, 'POST', `/sandbox/merchants/${c.mchid}/orders/NT3/pay`);
    await first.notifier.tick();
    assert.equal(rx.received.length, 1);
    await first.close();

    const second = await start();
    cleanups.push(() => second.close());
    await admin(second, 'POST', `/sandbox/merchants/${c.mchid}/clock`, { advance_seconds: 15 });
    await second.notifier.tick();
    assert.equal(rx.received.length, 2);
    const [event] = (await admin(second, 'GET', `/sandbox/merchants/${c.mchid}/notifications`)).data;
    assert.equal(event.status, 'delivered');
    assert.equal(event.attempts, 2);
  });
});
