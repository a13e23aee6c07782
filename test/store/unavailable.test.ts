import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDatabaseUnavailable } from '../../src/store/unavailable.ts';

test('connection failures, timeouts and server shutdowns count as "database unreachable"; refusals do not', () => {
  const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  for (const e of [
    err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    err('read ECONNRESET', 'ECONNRESET'),
    err('Connection terminated unexpectedly'),
    err('Query read timeout'),
    err('timeout exceeded when trying to connect'),
    new Error('Connection terminated due to connection timeout', { cause: err('Connection terminated unexpectedly') }),
    err('terminating connection due to administrator command', '57P01'),
    err('the database system is starting up', '57P03'),
    err('connection failure', '08006'),
  ])
    assert.equal(isDatabaseUnavailable(e), true, e.message);
  for (const e of [
    err('duplicate key value violates unique constraint', '23505'),
    err('could not serialize access', '40001'),
    err('syntax error', '42601'),
    new RangeError('amount out of range'),
    null,
    'text',
  ])
    assert.equal(isDatabaseUnavailable(e), false, String(e));
});
