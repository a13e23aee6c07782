/**
 * One notification attempt (src/notify/delivery.ts) against real local servers: what a hostile or broken
 * notify_url can make the gateway do. No redirect is followed, no answer is read past a few KiB, no attempt
 * outlives its deadline, and the address policy is applied to the address actually connected to.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { addressPolicy, cidrBlockList } from '../../src/notify/address-policy.ts';
import { MAX_ANSWER_BYTES, postNotification } from '../../src/notify/delivery.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/notify`, port, hits: () => hits };
}

const policy = addressPolicy();
const post = (url: string, timeoutMs = 5000, p = policy) =>
  postNotification(url, '{"id":"evt"}', { 'content-type': 'application/json' }, { policy: p, timeoutMs });

describe('answers', () => {
  test('a receiver on loopback is reached by default and its answer read', async () => {
    const rx = await serve((_req, res) => res.end('success'));
    assert.deepEqual(await post(rx.url), { statusCode: 200, response: 'success', error: null });
  });

  test('a redirect is not followed: the attempt fails with the 3xx, the target never hears of it', async () => {
    const target = await serve((_req, res) => res.end('internal service answer'));
    for (const status of [301, 302, 307, 308]) {
      const rx = await serve((_req, res) => res.writeHead(status, { location: target.url }).end());
      const outcome = await post(rx.url);
      assert.equal(outcome.statusCode, status);
      assert.match(String(outcome.error), /redirect not followed/);
    }
    assert.equal(target.hits(), 0);
  });

  test('a huge answer is read only up to a few KiB, and the connection is dropped', async () => {
    let written = 0;
    let closed = false;
    const rx = await serve((_req, res) => {
      res.on('close', () => {
        closed = true;
      });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!closed && written < 300 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.writeHead(200);
      pump();
    });
    const outcome = await post(rx.url);
    assert.equal(outcome.statusCode, 200);
    assert.ok(outcome.response!.length <= MAX_ANSWER_BYTES, `${outcome.response!.length} characters kept`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(closed, 'the gateway hung up');
    assert.ok(written < 50 * 1024 * 1024, `the receiver got to send only ${written} bytes of 300 MB`);
  });

  test('one deadline covers the whole attempt: a receiver that never answers, one that trickles its answer', async () => {
    const silent = await serve(() => undefined);
    const trickle = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('s'), 100);
      res.on('close', () => clearInterval(timer));
    });
    for (const rx of [silent, trickle]) {
      const t0 = Date.now();
      const outcome = await post(rx.url, 700);
      const took = Date.now() - t0;
      assert.equal(outcome.statusCode, null);
      assert.match(String(outcome.error), /TimeoutError/);
      assert.ok(took >= 650 && took < 3000, `cut after ${took} ms`);
    }
  });
});

describe('address policy', () => {
  test('link-local and metadata addresses are refused by default, without connecting', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://0.0.0.0:80/',
      'http://100.100.100.200/',
    ]) {
      const t0 = Date.now();
      const outcome = await post(url, 5000);
      assert.equal(outcome.statusCode, null, url);
      assert.match(String(outcome.error), /NotifyAddressRefused/, url);
      assert.ok(Date.now() - t0 < 1000, 'refused at once, no connection attempt');
    }
  });

  test('the RESOLVED address is checked: a hostname that resolves to a denied address is refused', async () => {
    const rx = await serve((_req, res) => res.end('success'));
    const denyLoopback = addressPolicy({ deny: ['127.0.0.0/8', '::1/128'] });
    const outcome = await post(`http://localhost:${rx.port}/notify`, 5000, denyLoopback);
    assert.match(String(outcome.error), /NotifyAddressRefused: notify_url refused: (127\.0\.0\.1|::1) is denied by --notify-deny/);
    assert.equal(rx.hits(), 0);
    assert.equal((await post(`http://localhost:${rx.port}/notify`)).statusCode, 200, 'allowed by default');
  });

  test("the gateway's own listeners are refused by default; an explicit allow overrides that; an explicit deny overrides everything", async () => {
    const own = await serve((_req, res) => res.end('admin API'));
    const gateway = addressPolicy({}, () => [own.port]);
    assert.match(String((await post(own.url, 5000, gateway)).error), /own listener/);
    assert.match(String((await post(`http://localhost:${own.port}/`, 5000, gateway)).error), /own listener/);
    assert.equal(own.hits(), 0);
    const allowed = addressPolicy({ allow: ['127.0.0.1/32'] }, () => [own.port]);
    assert.equal((await post(own.url, 5000, allowed)).statusCode, 200);
    const both = addressPolicy({ allow: ['127.0.0.0/8'], deny: ['127.0.0.1'] }, () => []);
    assert.match(String((await post(own.url, 5000, both)).error), /denied by --notify-deny/);
    const linkLocal = addressPolicy({ allow: ['169.254.0.0/16'] });
    assert.equal(linkLocal.refusal('169.254.169.254', 80), null, 'an operator may allow link-local explicitly');
  });

  test('bad CIDRs are refused at start', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', 'fe80::/129', '1.2.3.4/x']) {
      assert.throws(() => cidrBlockList([bad], '--notify-allow'), /invalid CIDR/, bad);
    }
  });
});
