/**
 * Slow clients cannot hold the listeners: a client that sends its headers and a few bytes of a declared body is
 * cut once the request timeout has passed, on HTTP and HTTPS alike; clients beyond the connection cap are refused;
 * ordinary clients see no difference.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { startGateway, type Gateway } from '../src/gateway.ts';
import { ADMIN_TOKEN } from './helpers/gateway.ts';
import { primaryDatabase } from './helpers/database.ts';

const database = primaryDatabase();
const LIMITS = { requestTimeoutMs: 1500, headersTimeoutMs: 1000, keepAliveTimeoutMs: 1000, maxConnections: 6 };
let gw: Gateway;
before(async () => {
  gw = await startGateway({
    host: '127.0.0.1',
    port: 0,
    tlsPort: 0,
    store: await database.storeOptions(),
    adminToken: ADMIN_TOKEN,
    logLevel: false,
    limits: LIMITS,
  });
});
after(async () => {
  await gw.close();
  await database.cleanup();
});

const SLOW_HEAD = 'POST /v3/pay/transactions/native HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"ap';

function open(kind: 'http' | 'https'): Promise<Socket> {
  const url = new URL(kind === 'http' ? gw.baseUrl : gw.httpsBaseUrl!);
  return new Promise((resolve, reject) => {
    const socket =
      kind === 'http'
        ? netConnect(Number(url.port), url.hostname, () => resolve(socket))
        : tlsConnect({ port: Number(url.port), host: url.hostname, rejectUnauthorized: false }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds until the server closes `socket`. */
function closedAfter(socket: Socket, t0: number): Promise<number> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('close', () => resolve(Date.now() - t0));
  });
}

for (const kind of ['http', 'https'] as const) {
  test(`${kind}: a slow body is cut after the request timeout`, { timeout: 30_000 }, async () => {
    const socket = await open(kind);
    const t0 = Date.now();
    socket.write(SLOW_HEAD);
    const trickle = setInterval(() => socket.write('x'), 200); // keeps the connection busy, never finishes the body
    const took = await closedAfter(socket, t0);
    clearInterval(trickle);
    assert.ok(took >= 1000 && took < 6000, `cut after ${took} ms (request timeout 1500 ms)`);
  });
}

test('http: a head that never ends is cut after the headers timeout', { timeout: 30_000 }, async () => {
  const socket = await open('http');
  const t0 = Date.now();
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const took = await closedAfter(socket, t0);
  assert.ok(took >= 700 && took < 6000, `cut after ${took} ms (headers timeout 1000 ms)`);
});

test('connections beyond the cap are refused; ordinary clients are served before and after', { timeout: 30_000 }, async () => {
  const ok = async () => (await fetch(new URL('/sandbox/merchants/999999999', gw.baseUrl), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status;
  assert.equal(await ok(), 404);
  const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => open('http')));
  for (const s of held) s.on('error', () => undefined);
  const extra = await open('http');
  const t0 = Date.now();
  const refusedAfter = await closedAfter(extra, t0);
  assert.ok(refusedAfter < 1000, `the connection over the cap was closed at once (${refusedAfter} ms)`);
  for (const s of held) s.destroy();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await ok(), 404, 'served again once connections were freed');
});
