/**
 * payByCode against a real tradegate, per dialect and test auth code: the client's answer and the sandbox's view
 * of the order agree, and no test waits in real time (the client follows the merchant's sandbox clock).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sandboxClock, TradegateClient, type Dialect, type Outcome } from '../src/index.ts';
import { ADMIN_TOKEN, authCode, currencyFor, merchantFor, sandboxView, startWorld, tempJournal, type World } from './support/world.ts';

const DIALECT_LIST: Dialect[] = ['wechatpay-v3', 'wechatpay-global', 'wechatpay-v2', 'paycloud'];

describe('payByCode per dialect and payer', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });

  for (const dialect of DIALECT_LIST) {
    test(`${dialect}: every test auth code ends paid or cancelled, as the gateway shows`, async () => {
      const c = await merchantFor(world.gw, dialect);
      const mchid = c.mchid;
      const clock = await sandboxClock({ baseUrl: c.baseUrl, adminToken: ADMIN_TOKEN, mchid });
      const client = new TradegateClient({ credentials: c, journalPath: tempJournal(), clock, requestTimeoutMs: 5000 });
      const pay = (no: string, ending: string) =>
        client.payByCode({ dialect, out_trade_no: no, auth_code: authCode(ending), amount: 1800, currency: currencyFor(dialect) });
      const cases: [string, string, Outcome['status'], string | null, number][] = [
        // ending, expected status, order state, refunded
        ['P1', '9999', 'paid', 'SUCCESS', 0],
        ['P2', '0001', 'paid', 'SUCCESS', 0], // payer confirms after 10 s
        ['P3', '0002', 'cancelled', 'PAYERROR', 0], // payer never confirms
        ['P4', '0003', 'cancelled', 'PAYERROR', 0], // not enough money
        ['P5', '0005', 'paid', 'SUCCESS', 0], // system error, but paid
        ['P6', '0006', 'cancelled', 'PAYERROR', 0], // system error, nothing paid
      ];
      for (const [no, ending, status, state, refunded] of cases) {
        const outcome = await pay(no, ending);
        assert.equal(outcome.status, status, `${no} ${JSON.stringify(outcome)}`);
        const view = await sandboxView(world.gw, mchid, no);
        assert.equal(view.state, state, `${no} ${JSON.stringify(outcome)}`);
        assert.equal(view.refunded_amount, refunded);
        // Asking again answers the journalled outcome without a new request.
        assert.deepEqual(await pay(no, ending), outcome);
      }
      assert.deepEqual(client.pending(), []);
      client.close();
    });
  }
});
