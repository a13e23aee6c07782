import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config.ts';

test('database bounds: defaults, environment variables, flags winning; --wait-for-database 0 or forever', () => {
  assert.deepEqual(loadConfig({}, {}).database, {
    connectTimeoutMs: 5000,
    queryTimeoutMs: 5000,
    waitForDatabaseMs: Number.POSITIVE_INFINITY,
    preparedStatements: true,
    connections: 5,
    sharedTransactions: 16,
  });
  const env = { TRADEGATE_DATABASE_CONNECT_TIMEOUT_MS: '1500', TRADEGATE_DATABASE_QUERY_TIMEOUT_MS: '2500', TRADEGATE_WAIT_FOR_DATABASE: '30' };
  assert.deepEqual(loadConfig({}, env).database, {
    connectTimeoutMs: 1500,
    queryTimeoutMs: 2500,
    waitForDatabaseMs: 30_000,
    preparedStatements: true,
    connections: 5,
    sharedTransactions: 16,
  });
  assert.equal(loadConfig({ waitForDatabase: '0', databaseQueryTimeoutMs: '700' }, env).database.waitForDatabaseMs, 0);
  assert.equal(loadConfig({ databaseQueryTimeoutMs: '700' }, env).database.queryTimeoutMs, 700);
  assert.equal(loadConfig({ waitForDatabase: 'forever' }, env).database.waitForDatabaseMs, Number.POSITIVE_INFINITY);
  assert.throws(() => loadConfig({ waitForDatabase: '-1' }, {}), /invalid --wait-for-database: -1/);
  assert.throws(() => loadConfig({ databaseQueryTimeoutMs: '0' }, {}), /invalid --database-query-timeout-ms: 0/);
  assert.equal(loadConfig({}, { TRADEGATE_DATABASE_PREPARED_STATEMENTS: 'off' }).database.preparedStatements, false);
  assert.equal(loadConfig({ databasePreparedStatements: 'on' }, { TRADEGATE_DATABASE_PREPARED_STATEMENTS: 'off' }).database.preparedStatements, true);
  assert.throws(() => loadConfig({ databasePreparedStatements: 'no' }, {}), /invalid --database-prepared-statements: no \(on or off\)/);
  assert.equal(loadConfig({}, { TRADEGATE_DATABASE_CONNECTIONS: '12' }).database.connections, 12);
  assert.equal(loadConfig({ databaseConnections: '2' }, { TRADEGATE_DATABASE_CONNECTIONS: '12' }).database.connections, 2);
  assert.throws(() => loadConfig({ databaseConnections: '0' }, {}), /invalid --database-connections: 0/);
  assert.equal(loadConfig({}, { TRADEGATE_DATABASE_SHARED_TRANSACTIONS: '1' }).database.sharedTransactions, 1);
  assert.equal(loadConfig({ databaseSharedTransactions: '8' }, { TRADEGATE_DATABASE_SHARED_TRANSACTIONS: '1' }).database.sharedTransactions, 8);
  assert.throws(() => loadConfig({ databaseSharedTransactions: '0' }, {}), /invalid --database-shared-transactions: 0/);
});

test('--request-log-rows 0 turns the request log off; below 0 is refused', () => {
  assert.equal(loadConfig({ requestLogRows: '0' }, {}).requestLog.maxRows, 0);
  assert.throws(() => loadConfig({ requestLogRows: '-1' }, {}), /invalid --request-log-rows: -1 \(a whole number ≥ 0\)/);
});

test("--cpu-scheduling: the system's policy unless batch is asked for; anything else is refused", () => {
  assert.equal(loadConfig({}, {}).cpuScheduling, 'default');
  assert.equal(loadConfig({}, { TRADEGATE_CPU_SCHEDULING: 'batch' }).cpuScheduling, 'batch');
  assert.equal(loadConfig({ cpuScheduling: 'default' }, { TRADEGATE_CPU_SCHEDULING: 'batch' }).cpuScheduling, 'default');
  assert.throws(() => loadConfig({}, { TRADEGATE_CPU_SCHEDULING: 'fifo' }), /invalid TRADEGATE_CPU_SCHEDULING: fifo \(default or batch\)/);
});

test('--v8-pretenuring: off unless on is asked for; anything else is refused', () => {
  assert.equal(loadConfig({}, {}).v8Pretenuring, 'off');
  assert.equal(loadConfig({}, { TRADEGATE_V8_PRETENURING: 'on' }).v8Pretenuring, 'on');
  assert.equal(loadConfig({ v8Pretenuring: 'off' }, { TRADEGATE_V8_PRETENURING: 'on' }).v8Pretenuring, 'off');
  assert.throws(() => loadConfig({}, { TRADEGATE_V8_PRETENURING: 'auto' }), /invalid TRADEGATE_V8_PRETENURING: auto \(off or on\)/);
});
