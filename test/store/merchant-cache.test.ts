import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Merchant } from '../../src/core/merchant.ts';
import { cachedMerchants } from '../../src/store/merchant-cache.ts';

test('found merchants are reused for 5 s; unknown ones are asked again every time', async () => {
  let t = 0;
  const calls: string[] = [];
  const known = { mchid: '1' } as Merchant;
  const get = cachedMerchants(async (mchid) => { calls.push(mchid); return mchid === '1' ? known : null; }, () => t);
  assert.equal(await get('1'), known);
  assert.equal(await get('1'), known);
  assert.equal(await get('2'), null);
  assert.equal(await get('2'), null);
  t = 5001;
  await get('1');
  assert.deepEqual(calls, ['1', '2', '2', '1']);
});
