import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Merchant } from '../../src/core/merchant.ts';
import { cachedMerchants } from '../../src/store/merchant-cache.ts';

test('found merchants are reused for 5 s; unknown ones are asked again every time', async () => {
  let t = 0;
  const calls: string[] = [];
  const known = { mchid: '1' } as Merchant;
  const get = cachedMerchants(
    async (mchid) => {
      calls.push(mchid);
      return mchid === '1' ? known : null;
    },
    () => t,
  );
  assert.equal(await get('1'), known);
  assert.equal(await get('1'), known);
  assert.equal(await get('2'), null);
  assert.equal(await get('2'), null);
  t = 5001;
  await get('1');
  assert.deepEqual(calls, ['1', '2', '2', '1']);
});

test('while the database is unreachable an expired merchant is still served; other errors are not hidden', async () => {
  let t = 0;
  let failure: Error | null = null;
  const known = { mchid: '1' } as Merchant;
  const get = cachedMerchants(
    async () => {
      if (failure) throw failure;
      return known;
    },
    () => t,
  );
  assert.equal(await get('1'), known);
  t = 60_000;
  failure = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  assert.equal(await get('1'), known); // signed system errors stay possible
  await assert.rejects(get('2'), /ECONNREFUSED/); // never seen: nothing to serve
  failure = Object.assign(new Error('permission denied for table merchants'), { code: '42501' });
  await assert.rejects(get('1'), /permission denied/);
});
