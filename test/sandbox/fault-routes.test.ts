/**
 * The fault lab's admin API: definitions are checked field by field (400 naming the field, 404 for an unknown
 * merchant, nothing stored), defaults are applied, and definitions are listed and deleted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const database = primaryDatabase();

describe('sandbox fault API', () => {
  let gw: TestGateway;
  let mchid: string;
  before(async () => {
    gw = await startTestGateway(database);
    mchid = (await gw.newMerchant()).mchid;
  });
  after(async () => {
    await gw.close();
  });
  const path = () => `/sandbox/merchants/${mchid}/faults`;
  const list = async () => (await gw.admin('GET', path())).body.data;

  test('bad definitions: 400 naming the field, nothing stored', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ operation: 'reverse', effect: 'explode' }, 'effect'],
      [{ operation: 'reverse' }, 'effect'],
      [{ effect: 'system_error' }, 'operation'],
      [{ operation: 'teleport', effect: 'system_error' }, 'operation'],
      [{ operation: 'reverse', effect: 'delay', commit: 'after' }, 'commit'],
      [{ operation: 'query', effect: 'system_error', commit: 'before' }, 'commit'],
      [{ operation: 'notify', effect: 'drop', commit: 'after' }, 'commit'],
      [{ operation: 'notify', effect: 'system_error' }, 'effect'],
      [{ operation: 'close', effect: 'duplicate' }, 'effect'],
      [{ operation: 'reverse', effect: 'timeout', delay_ms: 120_001 }, 'delay_ms'],
      [{ operation: 'reverse', effect: 'timeout', delay_ms: -1 }, 'delay_ms'],
      [{ operation: 'reverse', effect: 'system_error', times: 0 }, 'times'],
      [{ operation: 'reverse', effect: 'system_error', dialect: 'wechatpay-v4' }, 'dialect'],
      [{ operation: 'reverse', effect: 'system_error', out_trade_no: '' }, 'out_trade_no'],
      [{ operation: 'reverse', effect: 'system_error', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await gw.admin('POST', path(), body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error, 'INVALID_FAULT');
      assert.equal(res.body.field, field, `${JSON.stringify(body)}: ${res.body.message}`);
    }
    const notJson = await fetch(new URL(path(), gw.baseUrl), {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'text/plain' },
      body: 'effect=drop',
    });
    assert.equal(notJson.status, 415); // the sandbox API takes JSON only
    assert.deepEqual(await list(), []);
  });

  test('unknown merchant → 404 naming mchid; no admin token → 401', async () => {
    const res = await gw.admin('POST', '/sandbox/merchants/1999999999/faults', { operation: 'reverse', effect: 'system_error' });
    assert.deepEqual([res.status, res.body.error, res.body.field], [404, 'MERCHANT_NOT_FOUND', 'mchid']);
    assert.equal((await gw.admin('GET', '/sandbox/merchants/1999999999/faults')).status, 404);
    const anonymous = await fetch(new URL(path(), gw.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"operation":"reverse","effect":"drop"}',
    });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await list(), []);
  });

  test('defaults, listing oldest first, deleting one and all', async () => {
    const timeout = await gw.admin('POST', path(), { operation: 'reverse', effect: 'timeout' });
    assert.equal(timeout.status, 201);
    assert.deepEqual(
      [timeout.body.commit, timeout.body.delay_ms, timeout.body.times, timeout.body.fired, timeout.body.dialect, timeout.body.out_trade_no],
      ['after', 30_000, 1, 0, null, null],
    );
    const read = await gw.admin('POST', path(), { operation: 'query', effect: 'system_error', dialect: 'paycloud', times: 3 });
    assert.deepEqual([read.body.commit, read.body.times, read.body.remaining], [null, 3, 3]);
    const notify = await gw.admin('POST', path(), { operation: 'notify', effect: 'duplicate', out_trade_no: 'N1' });
    assert.deepEqual([notify.body.commit, notify.body.delay_ms], [null, 0]);
    assert.deepEqual(
      (await list()).map((f: any) => f.id),
      [timeout.body.id, read.body.id, notify.body.id],
    );
    assert.equal((await gw.admin('DELETE', `${path()}/${read.body.id}`)).status, 204);
    assert.equal((await gw.admin('DELETE', `${path()}/${read.body.id}`)).status, 404);
    assert.equal((await gw.admin('DELETE', `${path()}/not-a-number`)).status, 404);
    assert.deepEqual(
      (await list()).map((f: any) => f.effect),
      ['timeout', 'duplicate'],
    );
    const cleared = await gw.admin('DELETE', path());
    assert.deepEqual([cleared.status, cleared.body.deleted], [200, 2]);
    assert.deepEqual(await list(), []);
  });
});
