/**
 * Mutual TLS under TLS 1.3 session resumption: a session first made WITHOUT a client certificate and then resumed
 * must not pass for a verified client. (OpenSSL keeps the original verification result in the session, so a
 * resumed session that never had a certificate reports `authorized === true`.) The /secapi/* request on it has its
 * connection dropped, exactly like a fresh connection without a certificate.
 */
import assert from 'node:assert/strict';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { signedXml } from './v2-client.ts';

const database = primaryDatabase();
let gw: TestGateway;
let c: Credentials;
before(async () => {
  gw = await startTestGateway(database, undefined, { tls: true });
  c = await gw.newMerchant();
});
after(async () => {
  await gw.close();
});

interface Exchange {
  reused: boolean;
  answer: string;
  session: Buffer | null;
}

/** One raw HTTP/1.1 request over a fresh TLS connection (optionally resuming `session`); resolves when the server closes. */
function exchange(request: string, session?: Buffer, identity: { cert?: string; key?: string } = {}): Promise<Exchange> {
  const url = new URL(String(c.httpsBaseUrl));
  return new Promise((resolve, reject) => {
    let answer = '';
    let ticket: Buffer | null = null;
    let reused = false;
    const socket: TLSSocket = connect(
      {
        host: url.hostname,
        port: Number(url.port),
        ca: String(c.caCertificatePem),
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        ...(session ? { session } : {}),
        ...identity,
      },
      () => {
        reused = socket.isSessionReused();
        socket.write(request);
      },
    );
    socket.on('session', (s: Buffer) => {
      ticket = s;
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () => resolve({ reused, answer, session: ticket }));
    socket.setTimeout(20_000, () => socket.destroy(new Error('no close within 20 s')));
  });
}

const http = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: tradegate\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

test('a resumed TLS 1.3 session that had no client certificate: /secapi/* is dropped without an answer', async () => {
  // First connection: no certificate, a path that needs none; the server hands out a session ticket.
  const query = signedXml({ appid: c.appid, mch_id: c.mchid, nonce_str: 'r1', out_trade_no: 'NONE' }, c.apiV2Key);
  const first = await exchange(http('/pay/orderquery', query));
  assert.match(first.answer, /^HTTP\/1\.1 200/);
  assert.ok(first.session, 'the server issued a session ticket');

  const reverse = signedXml({ appid: c.appid, mch_id: c.mchid, nonce_str: 'r2', out_trade_no: 'NONE' }, c.apiV2Key);
  const resumed = await exchange(http('/secapi/pay/reverse', reverse), first.session!);
  assert.equal(resumed.reused, true, 'the session was resumed (the case under test)');
  assert.equal(resumed.answer, '', 'no HTTP answer on a /secapi/* request without a certificate');
});

test('a resumed session of a connection that did present the certificate still serves /secapi/*', async () => {
  const identity = { cert: String(c.apiV2ClientCertificatePem), key: String(c.apiV2ClientKeyPem) };
  const query = signedXml({ appid: c.appid, mch_id: c.mchid, nonce_str: 'r3', out_trade_no: 'NONE' }, c.apiV2Key);
  const first = await exchange(http('/pay/orderquery', query), undefined, identity);
  assert.ok(first.session);
  const reverse = signedXml({ appid: c.appid, mch_id: c.mchid, nonce_str: 'r4', out_trade_no: 'NONE' }, c.apiV2Key);
  const resumed = await exchange(http('/secapi/pay/reverse', reverse), first.session!, identity);
  assert.equal(resumed.reused, true);
  assert.match(resumed.answer, /^HTTP\/1\.1 200/);
  assert.match(resumed.answer, /<err_code><!\[CDATA\[ORDERNOTEXIST\]\]><\/err_code>|<err_code>ORDERNOTEXIST<\/err_code>/);
});
