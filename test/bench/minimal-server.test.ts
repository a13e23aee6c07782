/**
 * The minimal server (bench/minimal-server.ts) does the work it stands for, or its throughput would mean nothing:
 * it answers a signed query with the order, signed; it reverses a paid order once (a later query sees it reversed);
 * it refuses a request whose signature does not verify and a replayed one (its nonce was written); it answers 404
 * for an order it does not have.
 *
 * Needs the PostgreSQL server (TEST_DATABASE_URL); skipped with a notice elsewhere.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { stopProcess } from '../../bench/harness.ts';
import { merchantKeys, minimalDatabase, minimalRequests, startMinimalServer } from '../../bench/minimal.ts';
import type { Prebuilt } from '../../bench/requests.ts';
import { TEST_DATABASE_URL } from '../helpers/database.ts';

const skip = TEST_DATABASE_URL ? false : 'the minimal server needs the PostgreSQL server (TEST_DATABASE_URL)';

test('the minimal server verifies, refuses replays, reads and reverses orders and signs its answers', { skip, timeout: 60_000 }, async () => {
  const keys = merchantKeys();
  // Orders M1 and M2 in the database; requests are made for M1, M2, M3 in turn.
  const database = await minimalDatabase(TEST_DATABASE_URL as string, 2);
  const [queryM1, queryM2, queryM3, queryM1Again] = await minimalRequests('query', keys.privateKeyPem, 4, 3);
  const [reverseM1, reverseM2] = await minimalRequests('reverse', keys.privateKeyPem, 2, 3);
  const server = await startMinimalServer(database.url, keys.publicKeyPem);
  try {
    const platformKey = createPublicKey(await (await fetch(`${server.url}/public-key`)).text());
    const send = async (r: Prebuilt) => {
      const res = await fetch(`${server.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
      const body = await res.text();
      const [timestamp, nonce, signature] = ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature'].map((h) => res.headers.get(h) ?? '');
      assert.ok(verify('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`), platformKey, Buffer.from(signature, 'base64')), 'the answer is signed');
      return { status: res.status, body };
    };
    const stateOf = (body: string) => (({ out_trade_no, trade_state, amount }) => ({ out_trade_no, trade_state, amount }))(JSON.parse(body));

    const paid = await send(queryM1);
    assert.equal(paid.status, 200);
    assert.deepEqual(stateOf(paid.body), {
      out_trade_no: 'M1',
      trade_state: 'SUCCESS',
      amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    });
    assert.equal((await send(queryM1)).status, 401, 'the same nonce again is refused');
    assert.equal((await send({ ...queryM2, path: queryM1.path })).status, 401, 'a signature made for another path does not verify');
    assert.equal((await send({ ...reverseM2, body: reverseM2.body?.replace('wxd', 'wxe') })).status, 401, 'nor one made for another body');
    assert.equal((await send(queryM2)).status, 200, 'a refused forgery does not use up the nonce');
    assert.equal((await send(queryM3)).status, 404);

    assert.deepEqual(await send(reverseM1), { status: 200, body: '{"recall":false}' });
    assert.equal((await send(reverseM1)).status, 401, 'a replayed reverse is refused');
    assert.equal(stateOf((await send(queryM1Again)).body).trade_state, 'REVOKED', 'the reverse changed the order');
  } finally {
    await stopProcess(server.child);
    await database.drop();
  }
});
