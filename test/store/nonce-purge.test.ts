/**
 * The sweeper's purge of expired nonces: it deletes exactly the nonces past their lifetime (a live one stays a
 * replay, an expired one may be taken again), and it finds them without reading the live ones — a gateway under
 * sustained load holds ten minutes of nonces, and the purge runs every second.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RequestNonce } from '../../src/core/nonce-ledger.ts';
import { PURGE_NONCES, purgeNonces } from '../../src/store/sql-store.ts';
import { testDatabases } from '../helpers/database.ts';
import { howItReads } from '../helpers/query-plan.ts';

const NOW = 1_760_000_000_000;
const nonce = (n: string, expiresAt: number, now = NOW): RequestNonce => ({ mchid: '1900000001', nonce: n, expiresAt, now });

for (const database of testDatabases()) {
  describe(`the nonce purge (${database.name})`, () => {
    after(() => database.cleanup());

    test('deletes the nonces past their lifetime and only those: a live nonce is still a replay, an expired one is free again', async () => {
      const store = await database.open();
      assert.equal(await store.remember(nonce('expired', NOW - 1, NOW - 600_000)), true);
      assert.equal(await store.remember(nonce('at-now', NOW, NOW - 600_000)), true);
      assert.equal(await store.remember(nonce('live', NOW + 600_000)), true);
      await purgeNonces(store.db, NOW);
      const { rows } = await store.db.query<{ nonce: string }>('SELECT nonce FROM auth_nonces ORDER BY nonce');
      assert.deepEqual(
        rows.map((r) => r.nonce),
        ['at-now', 'live'],
      );
      assert.equal(await store.remember(nonce('live', NOW + 600_000)), false, 'a live nonce is a replay after the purge');
      assert.equal(await store.remember(nonce('expired', NOW + 600_000)), true, 'a purged nonce may be taken again');
    });

    test('finds the expired nonces without reading the live ones', async () => {
      const store = await database.open();
      // Ten minutes of nonces at ~33 a second, and four expired: what the purge meets every second, scaled down.
      await store.db.query(
        `INSERT INTO auth_nonces (mchid, nonce, expires_at) SELECT '1900000001', 'n' || g, $1::bigint + g * 30 FROM generate_series(-4, 20000) g`,
        [NOW],
      );
      await store.db.exec('ANALYZE auth_nonces');
      // EXPLAIN ANALYZE runs the purge, and says what it read.
      const plan = await howItReads(store.db, PURGE_NONCES, [NOW]);
      assert.deepEqual(plan.rowsReadOf('auth_nonces'), [4], 'the four expired nonces read, no live one');
      const { rows: left } = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM auth_nonces');
      assert.equal(left[0].n, 20001);
    });
  });
}
