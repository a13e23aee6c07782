/** How `bench:ab` and `bench:pair` read a variant from the command line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVariant } from '../../bench/variants.ts';

test('a variant: label, tradegate flags, node flags apart, and another checkout after @', () => {
  assert.deepEqual(parseVariant('base='), { label: 'base', dir: undefined, flags: [], nodeFlags: [] });
  assert.deepEqual(parseVariant('nolog=--request-log-rows 0  node:--v8-pool-size=1'), {
    label: 'nolog',
    dir: undefined,
    flags: ['--request-log-rows', '0'],
    nodeFlags: ['--v8-pool-size=1'],
  });
  assert.deepEqual(parseVariant('old@../base=--cpu-scheduling default'), {
    label: 'old',
    dir: '../base',
    flags: ['--cpu-scheduling', 'default'],
    nodeFlags: [],
  });
});

test('a variant without a label or without = is refused', () => {
  assert.throws(() => parseVariant('=--x'), /a variant is label=flags/);
  assert.throws(() => parseVariant('base'), /a variant is label=flags/);
});
