/**
 * The latency floor: the least a Node server answering APIv3 does per request — read it, sign the answer with
 * RSA-2048 off the event loop (node:crypto's async sign, libuv's thread pool), send it — and nothing else: no
 * framework, no database, no verification. Under the bench's load generator at 64 connections its p99 ÷ mean is
 * what the machine, Node's event loop and one thread-pool hand-off give before any gateway work (bench notes of
 * 2026-12-04: 1.6–1.9 on two shared cores), so a row's p99 can be read against it.
 * Run: node --import tsx bench/sign-only-server.ts; prints "sign-only listening on http://…". `GET /public-key` answers the key
 * that verifies its signatures (the bench's test checks them).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { sendSigned } from './signed-answer.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
let answered = 0;

const server = createServer((req, res) => {
  if (req.url === '/public-key') {
    res.end(publicPem);
    return;
  }
  req.resume();
  req.once('end', () => {
    // An APIv3-shaped signed answer: timestamp, nonce and body, signed as the platform signs its answers.
    sendSigned(res, 200, JSON.stringify({ code: 'SUCCESS', n: ++answered }), privateKey);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`sign-only listening on http://127.0.0.1:${address.port}\n`);
});
