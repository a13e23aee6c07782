/**
 * The fault plan in the store: the live-fault count read with the merchant stays exact through adds, firings and
 * deletes, and a definition with one firing left fires once even when two processes race for it.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { parseFaultDefinition } from '../../src/core/faults.ts';
import { createOrder } from '../../src/operations/create-order.ts';
import type { OperationContext } from '../../src/operations/context.ts';
import { queryOrder } from '../../src/operations/query-order.ts';
import { faultAdmin } from '../../src/store/fault-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { aMerchant, byNo, contextOf, ManualClock, newOrder } from '../helpers/context.ts';
import { primaryDatabase } from '../helpers/database.ts';

const database = primaryDatabase();
after(() => database.cleanup());

const faulted = (store: SqlStore, clock: ManualClock): OperationContext => ({
  ...contextOf(store, clock),
  faults: { header: null, hold: async () => undefined },
});
const count = async (store: SqlStore) => (await store.read((tx) => tx.getMerchant('1900000001')))!.faultCount;
const systemError = (e: unknown) => e instanceof CoreError && e.code === 'SYSTEM_ERROR';

describe('fault store', () => {
  test('the count follows adds, firings and deletes; no faults: nothing loaded', async () => {
    const store = await database.open();
    const clock = new ManualClock();
    await aMerchant(store);
    const admin = faultAdmin(store.db);
    assert.equal(await count(store), 0);
    const once = await admin.add('1900000001', parseFaultDefinition({ operation: 'create', effect: 'system_error', commit: 'before' }), clock.now());
    const twice = await admin.add('1900000001', parseFaultDefinition({ operation: 'query', effect: 'delay', times: 2 }), clock.now());
    assert.equal(await count(store), 2);
    assert.equal(await admin.add('1999999999', parseFaultDefinition({ operation: 'query', effect: 'delay' }), 0), null);
    await assert.rejects(createOrder(faulted(store, clock), newOrder('S1'), 'wechatV3'), systemError);
    assert.equal(await count(store), 1, 'spent: no longer live');
    await createOrder(faulted(store, clock), newOrder('S1'), 'wechatV3');
    await queryOrder(faulted(store, clock), byNo('S1'));
    assert.equal(await count(store), 1);
    assert.deepEqual(
      (await admin.list('1900000001')).map((f) => [f.id, f.fired]),
      [
        [once!.id, 1],
        [twice!.id, 1],
      ],
    );
    assert.equal(await admin.remove('1900000001', once!.id), true);
    assert.equal(await count(store), 1, 'deleting a spent definition leaves the count');
    assert.equal(await admin.clear('1900000001'), 1);
    assert.equal(await count(store), 0);
    const firings = await store.read((tx) => tx.listFaultFirings('1900000001', 'S1'));
    assert.deepEqual(
      firings.map((f) => [f.operation, f.effect, f.commit]),
      [
        ['create', 'system_error', 'before'],
        ['query', 'delay', null],
      ],
    );
  });

  test('two processes race for a definition with one firing left: it fires once', async () => {
    const options = await database.storeOptions();
    const a = await openStore(options);
    const b = database.name === 'postgres' ? await openStore(options) : a;
    after(async () => {
      await a.db.close();
      if (b !== a) await b.db.close();
    });
    const clock = new ManualClock();
    await aMerchant(a);
    for (const commit of ['before', 'after'] as const) {
      await faultAdmin(a.db).add('1900000001', parseFaultDefinition({ operation: 'create', effect: 'system_error', commit }), clock.now());
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => createOrder(faulted(i % 2 ? a : b, clock), newOrder(`R-${commit}-${i}`), 'wechatV3')),
      );
      const failures = results.filter((r) => r.status === 'rejected');
      assert.equal(failures.length, 1, `${commit}: ${failures.map((f) => String((f as PromiseRejectedResult).reason)).join(', ')}`);
      assert.ok(systemError((failures[0] as PromiseRejectedResult).reason));
      assert.equal(await count(a), 0);
    }
  });
});
