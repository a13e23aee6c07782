/** The small runtime parts of the ports: the system clock and the nonce-replay refusal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NonceReplayedError } from '../../src/core/nonce-ledger.ts';
import { systemClock } from '../../src/core/ports.ts';
import { IllegalTransitionError } from '../../src/core/state-machine.ts';

test('the system clock is the wall clock in epoch ms', () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
});

test('refusals that are not business answers name themselves', () => {
  const replay = new NonceReplayedError();
  assert.deepEqual([replay.name, replay.message, replay instanceof Error], ['NonceReplayedError', 'nonce replayed', true]);
  const illegal = new IllegalTransitionError('CLOSED', 'pay');
  assert.deepEqual(
    [illegal.name, illegal.message, illegal.from, illegal.event],
    ['IllegalTransitionError', 'no transition from CLOSED on pay', 'CLOSED', 'pay'],
  );
});
