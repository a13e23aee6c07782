/**
 * The notification worker through a running gateway: one merchant whose receiver hangs does not delay another
 * merchant's notifications (continuous pool, per-merchant cap, fair claiming), and a notify_url cannot steer the
 * gateway to another service (redirects) or to the gateway's own listeners.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { postRaw, signedXml } from '../protocols/wechatpay-v2/v2-client.ts';

const database = primaryDatabase();
const OK = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

interface Rx {
  url: string;
  hits: { at: number; body: string }[];
  server: Server;
  maxOpen: () => number;
}
const servers: Server[] = [];
async function receiver(answer: ((res: import('node:http').ServerResponse) => void) | null): Promise<Rx> {
  const hits: Rx['hits'] = [];
  let open = 0;
  let maxOpen = 0;
  const server = createServer((req, res) => {
    maxOpen = Math.max(maxOpen, ++open);
    res.on('close', () => {
      open--;
    });
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      hits.push({ at: Date.now(), body });
      answer?.(res); // null: never answers
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, hits, server, maxOpen: () => maxOpen };
}

describe('notification worker', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database);
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await gw.close();
  });

  /** An APIv2 native order with notify_url (MD5: cheap to sign), paid by the sandbox payer. */
  const paidOrder = async (c: Credentials, no: string, notifyUrl: string) => {
    const xml = signedXml(
      {
        appid: c.appid,
        mch_id: c.mchid,
        nonce_str: `n${no}`,
        body: 'b',
        out_trade_no: no,
        total_fee: '1',
        spbill_create_ip: '10.0.0.1',
        notify_url: notifyUrl,
        trade_type: 'NATIVE',
        product_id: 'p1',
      },
      c.apiV2Key,
    );
    const created = await postRaw(new URL('/pay/unifiedorder', c.baseUrl).toString(), xml);
    assert.equal(created.params.result_code, 'SUCCESS', created.text);
    const paid = await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/${no}/pay`);
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
  };
  const attempts = async (c: Credentials) => (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/notifications`)).body.data;

  test("60 hanging deliveries of merchant A: merchant B's notification arrives within 2 s of being due", { timeout: 240_000 }, async () => {
    const [a, b] = [await gw.newMerchant(), await gw.newMerchant()];
    const hang = await receiver(null);
    const fast = await receiver((res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(OK));
    for (let i = 0; i < 60; i++) await paidOrder(a, `A${i}`, hang.url);
    // The worker is busy with A (its receiver holds every delivery until the 5 s deadline).
    for (let i = 0; i < 100 && hang.hits.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(hang.hits.length > 0, "A's deliveries are in flight");
    await paidOrder(b, 'B1', fast.url);
    const due = Date.now();
    for (let i = 0; i < 150 && fast.hits.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(fast.hits.length, 1, "B's notification arrived");
    const delay = fast.hits[0]!.at - due;
    assert.ok(delay < 2000, `B's notification arrived ${delay} ms after it was due`);
    assert.ok(hang.maxOpen() <= 4, `A holds at most its cap (4) of deliveries at a time, not the pool (${hang.maxOpen()})`);
  });

  test('a redirect is a failed attempt and is not followed', async () => {
    const c = await gw.newMerchant();
    const target = await receiver((res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(OK));
    const redirect = await receiver((res) => res.writeHead(307, { location: target.url }).end());
    await paidOrder(c, 'R1', redirect.url);
    await gw.notifier.tick();
    assert.equal(redirect.hits.length, 1, JSON.stringify(await attempts(c), null, 1));
    assert.equal(target.hits.length, 0, 'the redirect target was never called');
    const [event] = await attempts(c);
    assert.equal(event.status, 'pending', 'not delivered: retried on schedule');
    assert.equal(event.attempt_log[0].status_code, 307);
    assert.match(event.attempt_log[0].error, /redirect not followed/);
  });

  test("the gateway's own listener is not a notify_url", async () => {
    const c = await gw.newMerchant();
    await paidOrder(c, 'S1', new URL('/sandbox/merchants', gw.baseUrl).toString());
    await gw.notifier.tick();
    const [event] = await attempts(c);
    assert.equal(event.attempt_log[0].status_code, null);
    assert.match(event.attempt_log[0].error, /NotifyAddressRefused: .*own listener/);
  });
});
