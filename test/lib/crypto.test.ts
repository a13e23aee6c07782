import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomAlnum, randomUpperHex } from '../../src/lib/crypto.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

test('nonces are [A-Za-z0-9] of the length asked, request ids [0-9A-F]', () => {
  for (const n of [1, 12, 32, 64]) assert.match(randomAlnum(n), new RegExp(`^[A-Za-z0-9]{${n}}$`));
  assert.match(randomUpperHex(32), /^[0-9A-F]{32}$/);
});

test('identifiers drawn from the pooled source do not repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) seen.add(randomAlnum(12)).add(randomUpperHex(32));
  assert.equal(seen.size, 40_000);
});

test('every character is about equally likely (no modulo bias towards the first 8)', () => {
  const counts = new Map<string, number>();
  const text = Array.from({ length: 4_000 }, () => randomAlnum(32)).join('');
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  assert.equal(counts.size, ALNUM.length);
  // 128,000 characters over 62: 2,065 each expected, σ ≈ 45; a `byte % 62` draw gives the first 8 about 2,458.
  const expected = text.length / ALNUM.length;
  for (const ch of ALNUM) assert.ok(Math.abs((counts.get(ch) ?? 0) - expected) < 250, `${ch}: ${counts.get(ch)}`);
});
