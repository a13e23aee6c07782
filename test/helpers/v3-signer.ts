/** Hand-made APIv3 requests, for the cases a well-behaved client library never produces. */
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import type { Credentials } from './gateway.ts';

export interface SignOptions {
  timestamp?: number;
  nonce?: string;
  serial?: string;
  privateKeyPem?: string;
  mchid?: string;
  /** Sign this body instead of the one sent (tampering). */
  signedBody?: string;
}

export function authorization(c: Credentials, method: string, url: string, body: string, o: SignOptions = {}): string {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomBytes(16).toString('hex');
  const message = `${method}\n${url}\n${timestamp}\n${nonce}\n${o.signedBody ?? body}\n`;
  const signature = sign('sha256', Buffer.from(message), createPrivateKey(o.privateKeyPem ?? c.merchantPrivateKeyPem)).toString('base64');
  return `WECHATPAY2-SHA256-RSA2048 mchid="${o.mchid ?? c.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${o.serial ?? c.merchantSerialNo}"`;
}
