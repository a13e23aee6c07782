/** How `bench:ab` and `bench:pair` read a variant from the command line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVariant } from '../../bench/variants.ts';

test('a variant: label, tradegate flags, node flags and the Node binary apart, and another checkout after @', () => {
  assert.deepEqual(parseVariant('base='), { label: 'base', dir: undefined, flags: [], nodeFlags: [], nodeBinary: undefined });
  assert.deepEqual(parseVariant('nolog=--request-log-rows 0  node:--v8-pool-size=1'), {
    label: 'nolog',
    dir: undefined,
    flags: ['--request-log-rows', '0'],
    nodeFlags: ['--v8-pool-size=1'],
    nodeBinary: undefined,
  });
  assert.deepEqual(parseVariant('old@../base=--cpu-scheduling default'), {
    label: 'old',
    dir: '../base',
    flags: ['--cpu-scheduling', 'default'],
    nodeFlags: [],
    nodeBinary: undefined,
  });
  assert.deepEqual(parseVariant('n24=node-bin:/opt/node24/bin/node node:--max-semi-space-size=16'), {
    label: 'n24',
    dir: undefined,
    flags: [],
    nodeFlags: ['--max-semi-space-size=16'],
    nodeBinary: '/opt/node24/bin/node',
  });
});

test('a variant without a label or without = is refused', () => {
  assert.throws(() => parseVariant('=--x'), /a variant is label=flags/);
  assert.throws(() => parseVariant('base'), /a variant is label=flags/);
  assert.throws(() => parseVariant('two=node-bin:/a node-bin:/b'), /one node-bin: per variant/);
});
