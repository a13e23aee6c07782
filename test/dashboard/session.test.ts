/**
 * Dashboard sessions and CSRF with plain HTTP requests: nothing without a session (pages redirect, JSON 401,
 * POSTs 401), wrong token refused without detail, cookie flags, CSRF token and Origin on every state change,
 * expiry on the (injected) wall clock, sign-out ends the session everywhere.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../helpers/context.ts';
import { primaryDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SESSION_TTL_MS } from '../../src/dashboard/session.ts';

const database = primaryDatabase();

describe('dashboard session and CSRF', () => {
  let gw: TestGateway;
  const clock = new ManualClock(Date.now());
  before(async () => {
    gw = await startTestGateway(database, clock, { tls: true });
  });
  after(async () => {
    await gw.close();
    await database.cleanup();
  });

  const url = (path: string) => new URL(path, gw.baseUrl);
  const get = (path: string, cookie?: string) => fetch(url(path), { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const post = (path: string, form: Record<string, string>, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(url(path), {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers },
    });
  const signIn = async () => {
    const res = await post('/dashboard/login', { token: ADMIN_TOKEN });
    assert.equal(res.status, 303);
    const setCookie = res.headers.get('set-cookie')!;
    return { setCookie, cookie: setCookie.split(';')[0]! };
  };
  const csrfOf = async (cookie: string) => /name="_csrf" value="([^"]+)"/.exec(await (await get('/dashboard', cookie)).text())![1]!;

  test('without a session: pages redirect to sign-in, JSON and POSTs answer 401, assets reveal nothing', async () => {
    const c = await gw.newMerchant();
    for (const path of ['/dashboard', `/dashboard/merchants/${c.mchid}`, `/dashboard/merchants/${c.mchid}/credentials.json`, '/dashboard/requests']) {
      const res = await get(path);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('location'), '/dashboard/login');
      assert.ok(!(await res.text()).includes(c.mchid));
    }
    const api = await get(`/dashboard/api/merchants/${c.mchid}/orders/X/live`);
    assert.equal(api.status, 401);
    assert.equal((await api.json()).error, 'UNAUTHORIZED');
    assert.equal((await post('/dashboard/merchants', { mode: 'direct' })).status, 401);
    assert.equal((await get('/dashboard/login')).status, 200);
    assert.equal((await get('/dashboard/assets/app.css')).status, 200);
  });

  test('a wrong token gets a clear message and no session', async () => {
    const res = await post('/dashboard/login', { token: 'wrong' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('set-cookie'), null);
    assert.match(await res.text(), /Wrong admin token\./);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, scoped to /dashboard, with an expiry; not Secure over HTTP', async () => {
    const { setCookie } = await signIn();
    assert.match(setCookie, /^tradegate_session=[A-Za-z0-9_-]{43}; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const { rows } = await gw.store.db.query<{ id_hash: string }>('SELECT id_hash FROM dashboard_sessions');
    assert.ok(
      rows.every((r) => !setCookie.includes(r.id_hash)),
      'only a hash of the id is stored',
    );
  });

  test('every state change needs the CSRF token, and a same-origin Origin when one is sent', async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const before = (await gw.store.listMerchants()).length;
    assert.equal((await post('/dashboard/merchants', { mode: 'direct' }, cookie)).status, 403);
    assert.equal((await post('/dashboard/merchants', { mode: 'direct', _csrf: 'x'.repeat(32) }, cookie)).status, 403);
    assert.equal((await post('/dashboard/merchants', { mode: 'direct', _csrf: csrf }, cookie, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await gw.store.listMerchants()).length, before, 'a refused form changes nothing');
    const ok = await post('/dashboard/merchants', { mode: 'direct', _csrf: csrf }, cookie, { origin: new URL(gw.baseUrl).origin });
    assert.equal(ok.status, 303);
    assert.match(ok.headers.get('location')!, /^\/dashboard\/merchants\/\d+$/);
    assert.equal((await gw.store.listMerchants()).length, before + 1);
    // Another session's token is not this session's.
    const other = await signIn();
    assert.equal((await post('/dashboard/logout', { _csrf: csrf }, other.cookie)).status, 403);
  });

  test('sessions expire on the wall clock; sign-out ends the session for pages and JSON alike', async () => {
    const { cookie } = await signIn();
    assert.equal((await get('/dashboard', cookie)).status, 200);
    clock.advance(SESSION_TTL_MS + 1000);
    assert.equal((await get('/dashboard', cookie)).status, 303);
    clock.advance(-(SESSION_TTL_MS + 1000));

    const fresh = await signIn();
    const c = await gw.newMerchant();
    const csrf = await csrfOf(fresh.cookie);
    const out = await post('/dashboard/logout', { _csrf: csrf }, fresh.cookie);
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie')!, /^tradegate_session=; .*Max-Age=0/);
    assert.equal((await get('/dashboard', fresh.cookie)).status, 303);
    assert.equal((await get(`/dashboard/merchants/${c.mchid}/credentials.json`, fresh.cookie)).status, 303);
    assert.equal((await get(`/dashboard/api/merchants/${c.mchid}/orders/X/live`, fresh.cookie)).status, 401);
  });

  test('over HTTPS the session cookie is also Secure', async () => {
    const body = new URLSearchParams({ token: ADMIN_TOKEN }).toString();
    const setCookie = await new Promise<string>((resolve, reject) => {
      // The sandbox CA is not in the system store; this test checks the cookie, not the certificate chain.
      const req = httpsRequest(
        new URL('/dashboard/login', gw.httpsBaseUrl!),
        {
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers['set-cookie']?.[0] ?? '')));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.match(setCookie, /; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/);
  });

  test('pages carry no-store and a strict Content-Security-Policy', async () => {
    const { cookie } = await signIn();
    const res = await get('/dashboard', cookie);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  });
});
