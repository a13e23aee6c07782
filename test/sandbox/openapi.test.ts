/**
 * The OpenAPI document at /sandbox/openapi.json against the routes that exist: every /sandbox route registered
 * anywhere (seen through onRoute) is in the document with its method, and the document names no other route.
 * Routes added later are covered as they are registered; one without a schema fails here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { wechatIds } from '../../src/core/ids.ts';
import { systemClock } from '../../src/core/ports.ts';
import { sandboxPayer } from '../../src/sandbox/payer.ts';
import { isSandboxRoute, OPENAPI_PATH } from '../../src/sandbox/openapi.ts';
import { buildServer } from '../../src/server.ts';
import { faultAdmin } from '../../src/store/fault-store.ts';
import { outboxStore } from '../../src/store/outbox-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { primaryDatabase } from '../helpers/database.ts';

const TOKEN = 'openapi-test-token';
const database = primaryDatabase();
let store: SqlStore;
let app: FastifyInstance;
const routes: RouteOptions[] = [];

before(async () => {
  store = await database.open();
  app = await buildServer(
    { store, merchants: store, nonces: store, sql: store.db, clock: systemClock, ids: wechatIds, payer: sandboxPayer },
    {
      sandbox: { adminToken: TOKEN, outbox: outboxStore(store.db), faults: faultAdmin(store.db), urls: { baseUrl: 'http://127.0.0.1:1/' } },
      onRoute: (route) => void routes.push(route),
    },
  );
  await app.ready();
});
after(async () => {
  await app.close();
  await database.cleanup();
});

/** `/a/:b/c` in Fastify's words → `/a/{b}/c` in OpenAPI's. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');

async function documentOf(): Promise<{ openapi: string; paths: Record<string, Record<string, any>>; components: any }> {
  const res = await app.inject({ method: 'GET', url: OPENAPI_PATH, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return res.json();
}

test('every sandbox route is in the OpenAPI document, and the document names no other', async () => {
  const registered = new Set(routes.filter((r) => isSandboxRoute(r.url)).flatMap((r) => methodsOf(r).map((m) => `${m} ${openApiPath(r.url)}`)));
  const doc = await documentOf();
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
  assert.ok(registered.size >= 10, `too few sandbox routes seen: ${[...registered].join(', ')}`);
  assert.deepEqual([...documented].sort(), [...registered].sort());
  assert.equal(doc.openapi, '3.0.3');
  assert.equal((doc as any).info.version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  assert.deepEqual(Object.keys(doc.components.securitySchemes), ['adminToken']);
});

test('every sandbox route declares its schema: summary, path parameters, success and error answers', async () => {
  const sandbox = routes.filter((r) => isSandboxRoute(r.url) && methodsOf(r).length > 0);
  for (const route of sandbox) {
    const where = `${methodsOf(route).join(',')} ${route.url}`;
    const schema = route.schema as Record<string, any> | undefined;
    assert.ok(schema, `${where} declares no schema`);
    assert.equal(typeof schema.summary, 'string', `${where}: summary`);
    const params = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    assert.deepEqual(Object.keys(schema.params?.properties ?? {}).sort(), params.sort(), `${where}: path parameters`);
    const statuses = Object.keys(schema.response ?? {});
    assert.ok(
      statuses.some((s) => s.startsWith('2')),
      `${where}: a success answer`,
    );
    assert.ok(statuses.includes('400') && statuses.includes('401'), `${where}: the error answers`);
    if (methodsOf(route).includes('POST') && schema.body) assert.equal(schema.body.type, 'object', `${where}: body`);
  }
});

test('the document describes bodies, parameters and answers (generated from the route schemas)', async () => {
  const doc = await documentOf();
  const create = doc.paths['/sandbox/merchants'].post;
  const body = create.requestBody.content['application/json'].schema;
  assert.deepEqual(body.properties.mode.enum, ['direct', 'service_provider', 'sub_merchant']);
  assert.equal(body.additionalProperties, false);
  assert.ok(create.responses['201'].content['application/json'].schema.properties.merchantPrivateKeyPem);
  const clock = doc.paths['/sandbox/merchants/{mchid}/clock'].post;
  assert.deepEqual(
    clock.parameters.map((p: any) => [p.in, p.name, p.required]),
    [['path', 'mchid', true]],
  );
  assert.deepEqual(clock.requestBody.content['application/json'].schema.required, ['advance_seconds']);
  assert.equal(clock.responses['400'].content['application/json'].schema.properties.field.type, 'string');
  assert.ok(doc.paths['/sandbox/merchants/{mchid}/orders/{no}'].get.responses['200'].content['application/json'].schema.properties.history);
});

test('the document needs the admin token, as the whole sandbox API does', async () => {
  const res = await app.inject({ method: 'GET', url: OPENAPI_PATH });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().error, 'UNAUTHORIZED');
});
