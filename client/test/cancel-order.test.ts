/**
 * cancelOrder on QR / native orders made by third-party clients: the close waits for the 5-minute window on the
 * merchant's clock (PayCloud void: 15 s), an unpaid order ends cancelled, a paid one is reported paid (refund it
 * instead), and a crash during the wait is resumed by recover().
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sandboxClock, TradegateClient, type Dialect } from '../src/index.ts';
import { merchantClient } from '../../test/helpers/gateway.ts';
import { v2Client } from '../../test/protocols/wechatpay-v2/v2-client.ts';
import { PayCloudClient, type AppCredentials } from '../../test/protocols/paycloud/paycloud-client.ts';
import { ADMIN_TOKEN, merchantFor, sandboxView, startWorld, tempJournal, type World } from './support/world.ts';

describe('cancelOrder (QR / native orders)', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });

  const makers: Record<'wechatpay-v3' | 'wechatpay-v2' | 'paycloud', (c: any, no: string) => Promise<unknown>> = {
    'wechatpay-v3': (c, no) =>
      merchantClient(c).v3.pay.transactions.native.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'qr',
        out_trade_no: no,
        notify_url: 'http://127.0.0.1:9/n',
        amount: { total: 500, currency: 'CNY' },
      }),
    'wechatpay-v2': (c, no) =>
      v2Client(c).v2.pay.unifiedorder.post({
        appid: c.appid,
        mch_id: c.mchid,
        body: 'qr',
        out_trade_no: no,
        total_fee: '500',
        spbill_create_ip: '10.0.0.1',
        notify_url: 'http://127.0.0.1:9/n',
        trade_type: 'NATIVE',
        product_id: 'P1',
      }),
    paycloud: async (c, no) => {
      const a = await new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials).call('cscanb.pay.getqrcode', {
        merchant_order_no: no,
        price_currency: 'CNY',
        trans_amount: '5',
        description: 'qr',
        expires: '3600',
        pay_method_id: 'WeChatPay',
      });
      assert.equal(a.envelope.code, '0');
    },
  };

  for (const dialect of Object.keys(makers) as (keyof typeof makers)[]) {
    test(`${dialect}: unpaid → cancelled after the window; paid → paid; a crash mid-wait is recovered`, async () => {
      const c = await merchantFor(world.gw, dialect as Dialect);
      const clock = await sandboxClock({ baseUrl: c.baseUrl, adminToken: ADMIN_TOKEN, mchid: c.mchid });
      const journalPath = tempJournal();
      const client = new TradegateClient({ credentials: c, journalPath, clock, requestTimeoutMs: 5000 });

      await makers[dialect](c, 'Q1');
      const created = clock.now();
      const closed = await client.cancelOrder({ dialect: dialect as Dialect, out_trade_no: 'Q1', created_at: created });
      assert.equal(closed.status, 'cancelled', JSON.stringify(closed));
      const window = dialect === 'paycloud' ? 15_000 : 300_000;
      assert.ok(clock.now() - created >= window, 'waited for the window on the business clock');
      const view = await sandboxView(world.gw, c.mchid, 'Q1');
      assert.ok(['CLOSED', 'REVOKED'].includes(view.state), view.state);

      await makers[dialect](c, 'Q2');
      assert.equal((await world.gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/Q2/pay`)).status, 200);
      const paid = await client.cancelOrder({ dialect: dialect as Dialect, out_trade_no: 'Q2' });
      assert.equal(paid.status, 'paid', JSON.stringify(paid));
      assert.equal((await sandboxView(world.gw, c.mchid, 'Q2')).state, 'SUCCESS');

      // Without created_at the gateway's "too early" answer is retried with back-off, also after a restart.
      await makers[dialect](c, 'Q3');
      const cut = await client.cancelOrder({ dialect: dialect as Dialect, out_trade_no: 'Q3', deadlineMs: 1000 });
      assert.equal(cut.status, 'unknown');
      client.close();
      const next = new TradegateClient({ credentials: c, journalPath, clock, requestTimeoutMs: 5000 });
      assert.deepEqual(
        next.pending().map((p) => p.out_trade_no),
        ['Q3'],
      );
      const [resumed] = await next.recover();
      assert.equal(resumed?.status, 'cancelled', JSON.stringify(resumed));
      assert.deepEqual(await next.recover(), []);
      next.close();
    });
  }
});
