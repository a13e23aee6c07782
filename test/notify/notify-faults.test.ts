/**
 * Notification faults at the point of delivery: `drop` loses an attempt that is then retried on the schedule,
 * `duplicate` delivers the same request twice, `delay` holds the delivery. The fired-faults log shows each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { merchantClient, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { startReceiver } from '../helpers/receiver.ts';

const database = primaryDatabase();

describe('notify faults', () => {
  let gw: TestGateway;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    gw = await startTestGateway(database);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await gw.close();
  });
  const receiver = async () => {
    const r = await startReceiver(() => ({ status: 200, body: '{"code":"SUCCESS"}' }));
    cleanups.push(r.close);
    return r;
  };
  const paidOrder = async (c: Credentials, no: string, url: string) => {
    await merchantClient(c).v3.pay.transactions.native.post({
      appid: c.appid,
      mchid: c.mchid,
      description: 'notify',
      out_trade_no: no,
      notify_url: url,
      amount: { total: 500, currency: 'CNY' },
    });
    await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/${no}/pay`);
  };
  const events = async (mchid: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/notifications`)).body.data;

  test('drop: the attempt is recorded as lost; the next attempt follows the schedule (+15 s)', async () => {
    const c = await gw.newMerchant();
    const rx = await receiver();
    assert.equal((await gw.admin('POST', `/sandbox/merchants/${c.mchid}/faults`, { operation: 'notify', effect: 'drop' })).status, 201);
    await paidOrder(c, 'ND1', rx.url);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 0, 'nothing reached the merchant');
    const [lost] = await events(c.mchid);
    assert.equal(lost.status, 'pending');
    assert.equal(lost.attempts, 1);
    assert.match(String(lost.attempt_log[0].error), /dropped by a fault/);
    await gw.advance(c.mchid, 14);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 0, 'not before the schedule says');
    await gw.advance(c.mchid, 1);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 1);
    assert.equal((await events(c.mchid))[0].status, 'delivered');
    const view = (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/ND1`)).body;
    assert.deepEqual(
      view.faults_fired.map((f: any) => [f.operation, f.effect, f.commit, f.dialect]),
      [['notify', 'drop', null, 'wechatpay-v3']],
    );
  });

  test('duplicate: two identical deliveries; delay: delivered after the hold', async () => {
    const c = await gw.newMerchant();
    const rx = await receiver();
    await gw.admin('POST', `/sandbox/merchants/${c.mchid}/faults`, { operation: 'notify', effect: 'duplicate', out_trade_no: 'ND2' });
    await paidOrder(c, 'ND2', rx.url);
    await gw.notifier.tick();
    assert.equal(rx.received.length, 2);
    assert.equal(rx.received[0]!.body, rx.received[1]!.body, 'the same body');
    assert.equal(rx.received[0]!.headers['wechatpay-signature'] !== undefined, true);
    assert.equal((await events(c.mchid))[0].status, 'delivered');

    await gw.admin('POST', `/sandbox/merchants/${c.mchid}/faults`, { operation: 'notify', effect: 'delay', delay_ms: 300 });
    await paidOrder(c, 'ND3', rx.url);
    const started = Date.now();
    await gw.notifier.tick();
    assert.equal(rx.received.length, 3);
    assert.ok(Date.now() - started >= 250, 'held before delivery');
    const faults = (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/faults`)).body.data;
    assert.deepEqual(
      faults.map((f: any) => [f.effect, f.fired]),
      [
        ['duplicate', 1],
        ['delay', 1],
      ],
    );
  });
});
