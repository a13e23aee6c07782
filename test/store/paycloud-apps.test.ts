/**
 * The PayCloud app lookup runs on an unauthenticated path (before the signature): it must be an index lookup, not
 * a scan over every merchant's secrets.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { APP_ID_LOOKUP_SQL, findMerchantByAppId } from '../../src/store/paycloud-apps.ts';
import { testDatabases } from '../helpers/database.ts';

for (const database of testDatabases()) {
  after(() => database.cleanup());
  test(`${database.name}: app_id → merchant uses the merchants_paycloud_app_id index`, async () => {
    const store = await database.open();
    const plan = await store.db.transaction(async (c) => {
      await c.query('SET LOCAL enable_seqscan = off'); // tiny tables: make the planner show whether an index CAN serve it
      const { rows } = await c.query(`EXPLAIN ${APP_ID_LOOKUP_SQL.replace('$1', `'wzX'`)}`);
      return rows.map((r) => String(Object.values(r)[0])).join('\n');
    });
    assert.match(plan, /Index Scan using merchants_paycloud_app_id|Bitmap Index Scan on merchants_paycloud_app_id/, plan);
    assert.equal(await findMerchantByAppId(store.db, 'wz-unknown'), null);
  });
}
