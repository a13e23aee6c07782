/**
 * The sandbox clock under load in one gateway process: clock advances among code payments, reverses refused in
 * their first 15 s (a unit of a shared transaction failing on its own, so that transaction rolls back and its
 * other units run again alone), reverses allowed later, and queries. Each advance is one relative UPDATE of its
 * own; none may be lost or undone by the order transactions around it: the offset must be the sum of the advances
 * answered 200. On PGlite (one connection carries everything) and on the PostgreSQL server when it is configured.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabases } from '../helpers/database.ts';
import { codepayBody, merchantClient, startTestGateway } from '../helpers/gateway.ts';
import { histogram, runBounded } from '../helpers/http-client.ts';

const TASKS = 450;
/** A payment's later reverse comes this many tasks after it: about 20 advances of 1 s later, past the 15 s. */
const LATER = 60;

for (const database of testDatabases()) {
  test(`${database.name}: clock advances among order transactions add up, none lost`, async () => {
    const gw = await startTestGateway(database);
    try {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      const reverse = (no: string) => wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: c.appid, mchid: c.mchid }, { out_trade_no: no });
      const query = (no: string) => wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: no });
      const status = (call: Promise<{ status: number }>) =>
        call.then(
          (r) => r.status,
          (e) => e?.response?.status ?? String(e),
        );
      let advanced = 0;
      const outcomes: string[] = [];
      await runBounded(TASKS, 16, async (i) => {
        if (i % 3 === 0) {
          await gw.advance(c.mchid, 1); // throws unless 200
          advanced++;
          return;
        }
        const no = `CLK-${i}`;
        outcomes.push(`pay ${await status(wx.v3.pay.transactions.codepay.post(codepayBody(c, no, '134567890123456789')))}`);
        const answers = await Promise.all([
          status(reverse(no)),
          status(query(no)),
          ...(i >= LATER && (i - LATER) % 3 !== 0 ? [status(reverse(`CLK-${i - LATER}`))] : []),
        ]);
        outcomes.push(`reverse ${answers[0]}`, `query ${answers[1]}`, ...answers.slice(2).map((a) => `later reverse ${a}`));
      });
      const seen = histogram(outcomes);
      console.log(`clock races (${database.name}): ${advanced} advances; ${JSON.stringify(seen)}`);
      const clock = (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/clock`)).body;
      assert.equal(clock.offset_seconds, advanced, `after ${advanced} advances of 1 s; answers ${JSON.stringify(seen)}`);
      // Both paths ran: the refusal that rolls a shared transaction back, and the reverse that commits.
      assert.ok(seen['reverse 429']! > 0 && seen['later reverse 200']! > 0, JSON.stringify(seen));
      assert.equal(seen['pay 200'], TASKS - advanced, JSON.stringify(seen));
    } finally {
      await gw.close();
    }
  });
}
