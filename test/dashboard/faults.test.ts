/**
 * The dashboard's fault plan page with plain HTTP requests: nothing without a session or without the CSRF token
 * (and nothing stored), a valid definition is stored and listed (the sandbox API sees it), a refused one names
 * its field and stores nothing, remove one and remove all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const database = primaryDatabase();

describe('dashboard fault plan', () => {
  let gw: TestGateway;
  let cookie: string;
  let csrf: string;
  before(async () => {
    gw = await startTestGateway(database);
    const res = await post('/dashboard/login', { token: ADMIN_TOKEN });
    assert.equal(res.status, 303);
    cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get('/dashboard', cookie)).text())![1]!;
  });
  after(async () => {
    await gw.close();
    await database.cleanup();
  });

  const url = (path: string) => new URL(path, gw.baseUrl);
  const get = (path: string, c?: string) => fetch(url(path), { redirect: 'manual', headers: c ? { cookie: c } : {} });
  const post = (path: string, form: Record<string, string>, c?: string) =>
    fetch(url(path), {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(c ? { cookie: c } : {}) },
    });
  /** The plan as the sandbox API reports it: what is stored, independent of the page. */
  const plan = async (mchid: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/faults`)).body.data as Record<string, unknown>[];
  const planRows = (page: string) => /<tbody id="fault-plan">([\s\S]*?)<\/tbody>/.exec(page)![1]!;

  test('without a session: the page redirects to sign-in, adding answers 401 and stores nothing', async () => {
    const c = await gw.newMerchant();
    const page = await get(`/dashboard/merchants/${c.mchid}/faults`);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/dashboard/login');
    const add = await post(`/dashboard/merchants/${c.mchid}/faults`, { operation: 'create', effect: 'system_error', _csrf: csrf });
    assert.equal(add.status, 401);
    assert.deepEqual(await plan(c.mchid), []);
  });

  test('without the CSRF token: refused, nothing stored, nothing removed', async () => {
    const c = await gw.newMerchant();
    assert.equal((await post(`/dashboard/merchants/${c.mchid}/faults`, { operation: 'create', effect: 'system_error' }, cookie)).status, 403);
    assert.equal(
      (await post(`/dashboard/merchants/${c.mchid}/faults`, { operation: 'create', effect: 'system_error', _csrf: 'x'.repeat(32) }, cookie)).status,
      403,
    );
    assert.deepEqual(await plan(c.mchid), []);
    assert.equal((await gw.admin('POST', `/sandbox/merchants/${c.mchid}/faults`, { operation: 'query', effect: 'timeout' })).status, 201);
    const [f] = await plan(c.mchid);
    assert.equal((await post(`/dashboard/merchants/${c.mchid}/faults/${f!.id}/remove`, {}, cookie)).status, 403);
    assert.equal((await post(`/dashboard/merchants/${c.mchid}/faults/clear`, {}, cookie)).status, 403);
    assert.equal((await plan(c.mchid)).length, 1);
  });

  test('a valid definition is stored with its defaults and listed with fired and remaining', async () => {
    const c = await gw.newMerchant();
    const add = await post(
      `/dashboard/merchants/${c.mchid}/faults`,
      {
        _csrf: csrf,
        operation: 'refund',
        dialect: 'wechatpay-v2',
        out_trade_no: 'F<1>',
        effect: 'timeout',
        commit: '',
        delay_ms: '1500',
        times: '3',
      },
      cookie,
    );
    assert.equal(add.status, 303);
    assert.equal(add.headers.get('location'), `/dashboard/merchants/${c.mchid}/faults`);
    const stored = await plan(c.mchid);
    assert.equal(stored.length, 1);
    assert.deepEqual(
      { ...stored[0], id: undefined, created_at: undefined },
      {
        id: undefined,
        operation: 'refund',
        dialect: 'wechatpay-v2',
        out_trade_no: 'F<1>',
        effect: 'timeout',
        commit: 'after',
        delay_ms: 1500,
        times: 3,
        fired: 0,
        remaining: 3,
        created_at: undefined,
      },
    );
    const res = await get(`/dashboard/merchants/${c.mchid}/faults`, cookie);
    assert.equal(res.status, 200);
    const row = planRows(await res.text()).replace(/\s+/g, ' ');
    assert.match(
      row,
      /<td>refund<\/td><td>wechatpay-v2<\/td><td>F&lt;1&gt;<\/td><td>timeout<\/td><td>after<\/td> <td>1500 ms<\/td><td>3<\/td><td>0<\/td><td class="state">3<\/td>/,
    );
    assert.match(row, new RegExp(`action="/dashboard/merchants/${c.mchid}/faults/${stored[0]!.id}/remove"`));
    // The merchant page links to the plan and counts the live faults.
    assert.match(
      await (await get(`/dashboard/merchants/${c.mchid}`, cookie)).text(),
      new RegExp(`href="/dashboard/merchants/${c.mchid}/faults">fault plan</a> \\(1 live\\)`),
    );
  });

  test('an invalid definition re-renders with the field named and what was typed; nothing stored', async () => {
    const c = await gw.newMerchant();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ operation: 'create', effect: 'system_error', delay_ms: '999999' }, 'delay_ms', /delay_ms must be an integer from 0 to 120000/],
      [{ operation: 'create', effect: 'system_error', times: 'two' }, 'times', /times must be an integer from 1 to 1000000/],
      [{ operation: 'query', effect: 'system_error', commit: 'before' }, 'commit', /commit does not apply to query/],
      [{ operation: 'notify', effect: 'timeout' }, 'effect', /effect timeout does not apply to notify/],
      [{ operation: 'pay', effect: 'explode' }, 'effect', /effect must be one of/],
      [{ effect: 'drop' }, 'operation', /operation must be one of/],
    ];
    for (const [form, field, message] of cases) {
      const res = await post(`/dashboard/merchants/${c.mchid}/faults`, { _csrf: csrf, ...form }, cookie);
      assert.equal(res.status, 400, field);
      const page = await res.text();
      assert.match(page, new RegExp(`role="alert" id="fault-error">Not added — <strong>${field}</strong>: `), field);
      assert.match(page, message);
      assert.match(page, new RegExp(`id="fault-${field}" name="${field}"[^>]*aria-invalid="true"`), field);
      if (form.delay_ms) assert.match(page, /name="delay_ms" value="999999"/, 'what was typed stays in the form');
    }
    assert.deepEqual(await plan(c.mchid), []);
    assert.equal((await post('/dashboard/merchants/000000404/faults', { _csrf: csrf, operation: 'pay', effect: 'drop' }, cookie)).status, 404);
  });

  test('remove one fault, then remove all', async () => {
    const c = await gw.newMerchant();
    for (const effect of ['system_error', 'drop', 'delay']) {
      assert.equal((await post(`/dashboard/merchants/${c.mchid}/faults`, { _csrf: csrf, operation: 'create', effect }, cookie)).status, 303);
    }
    const [first, ...rest] = await plan(c.mchid);
    const removed = await post(`/dashboard/merchants/${c.mchid}/faults/${first!.id}/remove`, { _csrf: csrf }, cookie);
    assert.equal(removed.status, 303);
    assert.deepEqual(
      (await plan(c.mchid)).map((f) => f.id),
      rest.map((f) => f.id),
    );
    const again = await post(`/dashboard/merchants/${c.mchid}/faults/${first!.id}/remove`, { _csrf: csrf }, cookie);
    assert.equal(again.status, 404);
    assert.match(await again.text(), /Fault \d+ does not exist/);
    assert.equal((await post(`/dashboard/merchants/${c.mchid}/faults/clear`, { _csrf: csrf }, cookie)).status, 303);
    assert.deepEqual(await plan(c.mchid), []);
    assert.match(planRows(await (await get(`/dashboard/merchants/${c.mchid}/faults`, cookie)).text()), /No faults: every call behaves\./);
    const merchant = await gw.store.getMerchant(c.mchid);
    assert.equal(merchant?.faultCount ?? 0, 0, 'the live count follows the removals');
  });
});
