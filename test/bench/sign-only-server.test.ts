/**
 * The latency floor's server (bench/sign-only-server.ts) does the work it stands for: every answer carries an
 * RSA-SHA256 signature of timestamp, nonce and body that its public key verifies, and no two answers share a nonce.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { startProcess, stopProcess } from '../../bench/harness.ts';

test('the sign-only server signs every answer as the platform does, each with its own nonce', async () => {
  const { child, url } = await startProcess(['--import', 'tsx', 'bench/sign-only-server.ts']);
  try {
    const key = createPublicKey(await (await fetch(`${url}/public-key`)).text());
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/`, { method: 'POST', body: 'x' });
      assert.equal(res.status, 200);
      const body = await res.text();
      const [timestamp, nonce, signature] = ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature'].map((h) => res.headers.get(h) ?? '');
      assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 60, 'a current timestamp');
      assert.ok(verify('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`), key, Buffer.from(signature, 'base64')), 'the signature verifies');
      nonces.add(nonce);
    }
    assert.equal(nonces.size, 3);
  } finally {
    await stopProcess(child);
  }
});
