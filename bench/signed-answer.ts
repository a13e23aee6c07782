/** How the bench's trivial servers (the latency floor's, the minimal one) answer as the platform does. */
import { type KeyObject, sign } from 'node:crypto';
import type { ServerResponse } from 'node:http';

let answered = 0;

/**
 * Sends `body` with `status` and the platform's signature headers: timestamp, a nonce of its own, and the RSA-SHA256
 * signature of both and the body, made off the event loop (node:crypto's async sign, libuv's thread pool).
 */
export function sendSigned(res: ServerResponse, status: number, body: string, key: KeyObject): void {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = (++answered).toString(36).padStart(16, '0');
  sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`), key, (err, signature) => {
    if (err) {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(status, {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature.toString('base64'),
    });
    res.end(body);
  });
}
