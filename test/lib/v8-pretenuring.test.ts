/** `--v8-pretenuring`: what the gateway asks of V8 for each setting. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { applyV8Pretenuring } from '../../src/lib/v8-pretenuring.ts';

test('off turns V8’s allocation-site pretenuring off; on leaves V8 as it is', () => {
  const asked: string[] = [];
  applyV8Pretenuring('off', (flags) => asked.push(flags));
  assert.deepEqual(asked, ['--no-allocation-site-pretenuring']);
  asked.length = 0;
  applyV8Pretenuring('on', (flags) => asked.push(flags));
  assert.deepEqual(asked, []);
});

test('the flag it sets is one this Node’s V8 knows (V8 ignores an unknown one in silence)', () => {
  const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
  assert.match(options, /--allocation-site-pretenuring \(pretenure with allocation sites\)/);
});
