/** How the bench points `pgbench` at the server it measures: the URL's parts as libpq's variables. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pgbenchEnvironment } from '../../bench/machine-ceilings.ts';

test('pgbench reaches the server of a TCP URL, with its user and password decoded', () => {
  assert.deepEqual(pgbenchEnvironment('postgres://bench%40ops:p%2Fw@db.internal:6543/test', 'tradegate_bench_pgbench_1'), {
    PGHOST: 'db.internal',
    PGPORT: '6543',
    PGUSER: 'bench@ops',
    PGPASSWORD: 'p/w',
    PGDATABASE: 'tradegate_bench_pgbench_1',
  });
});

test("pgbench reaches the server of a Unix-socket URL through the socket's directory, not a host named after it", () => {
  assert.deepEqual(pgbenchEnvironment('postgres://postgres@%2Fvar%2Frun%2Fpostgresql/test', 'd'), {
    PGHOST: '/var/run/postgresql',
    PGPORT: '5432',
    PGUSER: 'postgres',
    PGDATABASE: 'd',
  });
});
