/**
 * The dashboard at /dashboard, one encapsulated plugin: server-rendered pages over the same store the gateway
 * uses (every process serves it), signed in with the admin token. Sessions and CSRF: session.ts. Every state
 * change is a POST form carrying the session's CSRF token, answered by a 303 redirect (works without JavaScript).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { isCoreError } from '../core/errors.ts';
import { FaultDefinitionError, parseFaultDefinition } from '../core/faults.ts';
import type { OperationContext } from '../operations/context.ts';
import { answerPasswordPrompt, payOrder } from '../operations/payer-actions.ts';
import { requestPage, type RequestQuery } from '../request-log/routes.ts';
import type { SandboxOptions } from '../sandbox/admin-plugin.ts';
import { orderFilterOf, type OrderQuery } from '../sandbox/list-routes.ts';
import { credentialsJson, provisionMerchant, type ProvisionRequest } from '../sandbox/provision.ts';
import type { GatewayDeps } from '../server-deps.ts';
import { listMerchantsPage, listOrdersPage } from '../store/listing.ts';
import { APP_CSS, APP_JS } from './assets.ts';
import { html, page } from './html.ts';
import { orderTimeline } from './order-data.ts';
import { loginPage } from './pages/login.ts';
import { merchantPage } from './pages/merchant.ts';
import { merchantsPage } from './pages/merchants.ts';
import { faultInputOf, faultsPage, type FaultForm } from './pages/faults.ts';
import { orderLive, orderPage } from './pages/order.ts';
import { requestsPage } from './pages/requests.ts';
import { csrfAccepted, sameSecret, sessionStore, type Session } from './session.ts';

declare module 'fastify' {
  interface FastifyRequest {
    dashboardSession: Session | null;
  }
}

const PUBLIC = new Set(['/dashboard/login', '/dashboard/assets/app.js', '/dashboard/assets/app.css']);
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on their own form posts.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

class DashboardError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Mchid = { Params: { mchid: string } };
type FaultRoute = { Params: { mchid: string; id: string } };
type OrderRoute = { Params: { mchid: string; no: string } };
const mchidParams = { type: 'object', properties: { mchid: { type: 'string', maxLength: 32 } } } as const;
const faultParams = { type: 'object', properties: { mchid: { type: 'string', maxLength: 32 }, id: { type: 'string', maxLength: 20 } } } as const;
const orderParams = { type: 'object', properties: { mchid: { type: 'string', maxLength: 32 }, no: { type: 'string', maxLength: 64 } } } as const;

const isApi = (request: FastifyRequest) => request.url.startsWith('/dashboard/api/');
const sendHtml = (reply: FastifyReply, status: number, text: string) => reply.code(status).type('text/html; charset=utf-8').send(text);
const seeOther = (reply: FastifyReply, location: string) => reply.code(303).header('location', location).send();
/** `datetime-local` sends no zone; the dashboard shows UTC, so that is what it means. */
const utc = (v: string | undefined) => (v && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(v) ? `${v.length === 16 ? `${v}:00` : v}Z` : v);

export function dashboardPlugin(deps: GatewayDeps, options: SandboxOptions) {
  const sessions = sessionStore(deps.sql, () => deps.clock.now());
  const ctx = (request: FastifyRequest): OperationContext => ({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    protocol: 'sandbox',
    requestId: request.tradegateRequestId,
  });
  // onRequest answered every request without a live session (but the public pages, which do not ask for one).
  const session = (request: FastifyRequest): Session => {
    if (!request.dashboardSession) throw new Error(`dashboard: no session on ${request.method} ${request.url}`);
    return request.dashboardSession;
  };
  const merchantOf = async (mchid: string) => {
    const m = await deps.store.getMerchant(mchid);
    if (!m) throw new DashboardError(404, `Merchant ${mchid} does not exist.`);
    return m;
  };

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    app.decorateRequest('dashboardSession', null);
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      return payload;
    });
    // No page, asset with data, or call without a live session: pages redirect to sign-in, JSON answers 401.
    app.addHook('onRequest', async (request, reply) => {
      if (PUBLIC.has(request.url.split('?')[0])) return;
      const found = await sessions.find(request);
      if (!found) {
        if (isApi(request) || request.method !== 'GET') {
          return reply
            .code(401)
            .type('application/json; charset=utf-8')
            .send(JSON.stringify({ error: 'UNAUTHORIZED', message: 'sign in to the dashboard first' }));
        }
        return seeOther(reply, '/dashboard/login');
      }
      request.dashboardSession = found;
    });
    app.addHook('preHandler', async (request, reply) => {
      const s = request.dashboardSession;
      if (s && request.method !== 'GET' && request.method !== 'HEAD' && !csrfAccepted(request, s)) {
        return sendHtml(
          reply,
          403,
          page(
            { title: 'Refused' },
            html`<h1>Refused</h1><p class="alert" role="alert">This form is stale or did not come from the dashboard (CSRF check failed). Go back, reload and try again.</p>`,
          ),
        );
      }
    });
    app.setErrorHandler((error, request, reply) => {
      const status =
        error instanceof DashboardError
          ? error.status
          : isCoreError(error)
            ? error.code.endsWith('NOT_FOUND')
              ? 404
              : 409
            : error instanceof RangeError
              ? 400
              : ((error as { statusCode?: number }).statusCode ?? 500);
      if (status >= 500) request.log.error({ err: error }, 'dashboard error');
      const message = status >= 500 ? 'Internal error.' : isCoreError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
      if (isApi(request))
        return reply
          .code(status)
          .type('application/json; charset=utf-8')
          .send(JSON.stringify({ error: 'REFUSED', message }));
      return sendHtml(
        reply,
        status,
        page(
          { title: 'Error', csrf: request.dashboardSession?.csrf },
          html`<h1>Could not do that</h1>
        <p class="alert" role="alert">${message}</p><p><a href="javascript:history.back()">Back</a> · <a href="/dashboard">Merchants</a></p>`,
        ),
      );
    });

    app.get('/dashboard/assets/app.js', async (_r, reply) => reply.type('text/javascript; charset=utf-8').send(APP_JS));
    app.get('/dashboard/assets/app.css', async (_r, reply) => reply.type('text/css; charset=utf-8').send(APP_CSS));

    app.get('/dashboard/login', async (_request, reply) => sendHtml(reply, 200, loginPage()));
    app.post<{ Body: { token?: string } }>('/dashboard/login', async (request, reply) => {
      const token = typeof request.body?.token === 'string' ? request.body.token : undefined;
      if (!sameSecret(token, options.adminToken)) return sendHtml(reply, 401, loginPage('Wrong admin token.'));
      await sessions.create(request, reply);
      return seeOther(reply, '/dashboard');
    });
    app.post('/dashboard/logout', async (request, reply) => {
      await sessions.destroy(request, reply, session(request));
      return seeOther(reply, '/dashboard/login');
    });

    app.get<{ Querystring: { cursor?: string } }>(
      '/dashboard',
      {
        schema: { querystring: { type: 'object', properties: { cursor: { type: 'string', maxLength: 512 } } } },
      },
      async (request, reply) => {
        const list = await listMerchantsPage(deps.sql, request.query.cursor, 100);
        const providers = (await deps.store.listMerchants()).filter((m) => m.kind === 'service_provider');
        return sendHtml(reply, 200, merchantsPage(session(request).csrf, list.items, list.next, providers));
      },
    );

    app.post<{ Body: Record<string, string> }>('/dashboard/merchants', async (request, reply) => {
      const body = request.body ?? {};
      const mode = body.mode === 'global' ? 'direct' : body.mode;
      if (mode !== 'direct' && mode !== 'service_provider' && mode !== 'sub_merchant') throw new DashboardError(400, 'Choose a mode.');
      const req: ProvisionRequest = {
        mode,
        region: body.mode === 'global' ? 'global' : 'mainland',
        spMchid: mode === 'sub_merchant' ? body.sp_mchid || undefined : undefined,
        mchid: body.mchid || undefined,
      };
      if (req.mchid && (await deps.store.getMerchant(req.mchid))) throw new DashboardError(409, `Merchant ${req.mchid} exists.`);
      const merchant = await provisionMerchant(deps.store, deps.clock, req);
      await options.onMerchantCreated?.(merchant, credentialsJson(merchant, options.urls));
      return seeOther(reply, `/dashboard/merchants/${merchant.mchid}`);
    });

    app.get<Mchid & { Querystring: OrderQuery }>(
      '/dashboard/merchants/:mchid',
      {
        schema: { params: mchidParams },
      },
      async (request, reply) => {
        const m = await merchantOf(request.params.mchid);
        const q = { ...request.query, created_from: utc(request.query.created_from), created_to: utc(request.query.created_to) };
        const list = await listOrdersPage(deps.sql, m.mchid, orderFilterOf(q), q.cursor || undefined, 50);
        return sendHtml(reply, 200, merchantPage(session(request).csrf, m, deps.clock.now() + m.clockOffsetMs, request.query, list.items, list.next));
      },
    );

    app.get<Mchid>('/dashboard/merchants/:mchid/credentials.json', { schema: { params: mchidParams } }, async (request, reply) => {
      const m = await merchantOf(request.params.mchid);
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${m.mchid}.json"`)
        .send(`${JSON.stringify(credentialsJson(m, options.urls), null, 2)}\n`);
    });

    app.post<Mchid & { Body: { advance_seconds?: string } }>(
      '/dashboard/merchants/:mchid/clock',
      { schema: { params: mchidParams } },
      async (request, reply) => {
        const m = await merchantOf(request.params.mchid);
        const seconds = Number(request.body?.advance_seconds);
        if (!Number.isFinite(seconds) || seconds < 0 || seconds > 10 * 366 * 86400)
          throw new DashboardError(400, 'Advance by a number of seconds ≥ 0 (the clock never goes back).');
        await deps.store.advanceClock(m.mchid, Math.round(seconds * 1000));
        return seeOther(reply, `/dashboard/merchants/${m.mchid}`);
      },
    );

    // The fault plan (the fault lab): the sandbox API's FaultAdmin, the same check (parseFaultDefinition).
    const faultsBase = (mchid: string) => `/dashboard/merchants/${mchid}/faults`;
    app.get<Mchid>('/dashboard/merchants/:mchid/faults', { schema: { params: mchidParams } }, async (request, reply) => {
      const m = await merchantOf(request.params.mchid);
      return sendHtml(reply, 200, faultsPage(session(request).csrf, m.mchid, await options.faults.list(m.mchid)));
    });
    app.post<Mchid & { Body: FaultForm }>('/dashboard/merchants/:mchid/faults', { schema: { params: mchidParams } }, async (request, reply) => {
      const m = await merchantOf(request.params.mchid);
      const form = request.body ?? {};
      try {
        const stored = await options.faults.add(m.mchid, parseFaultDefinition(faultInputOf(form)), deps.clock.now());
        if (!stored) throw new DashboardError(404, `Merchant ${m.mchid} does not exist.`);
      } catch (error) {
        if (!(error instanceof FaultDefinitionError)) throw error;
        // Refused: the page again with what was typed and the field named; nothing stored.
        return sendHtml(reply, 400, faultsPage(session(request).csrf, m.mchid, await options.faults.list(m.mchid), form, error));
      }
      return seeOther(reply, faultsBase(m.mchid));
    });
    app.post<FaultRoute>('/dashboard/merchants/:mchid/faults/:id/remove', { schema: { params: faultParams } }, async (request, reply) => {
      const m = await merchantOf(request.params.mchid);
      if (!(await options.faults.remove(m.mchid, request.params.id)))
        throw new DashboardError(404, `Fault ${request.params.id} does not exist (already removed?).`);
      return seeOther(reply, faultsBase(m.mchid));
    });
    app.post<Mchid>('/dashboard/merchants/:mchid/faults/clear', { schema: { params: mchidParams } }, async (request, reply) => {
      const m = await merchantOf(request.params.mchid);
      await options.faults.clear(m.mchid);
      return seeOther(reply, faultsBase(m.mchid));
    });

    const refOf = (request: FastifyRequest<OrderRoute>) => ({ mchid: request.params.mchid, outTradeNo: request.params.no });
    const orderBase = (ref: { mchid: string; outTradeNo: string }) => `/dashboard/merchants/${ref.mchid}/orders/${encodeURIComponent(ref.outTradeNo)}`;
    const live = async (request: FastifyRequest<OrderRoute>) => {
      const ref = refOf(request);
      const timeline = await orderTimeline(deps, ctx(request), ref, options.outbox, app.requestLog);
      const fragment = orderLive(session(request).csrf, orderBase(ref), timeline);
      const version = createHash('sha256').update(fragment.text).digest('base64url').slice(0, 16);
      const url = `/dashboard/api/merchants/${ref.mchid}/orders/${encodeURIComponent(ref.outTradeNo)}/live`;
      return { timeline, fragment, version, url };
    };
    app.get<OrderRoute>('/dashboard/merchants/:mchid/orders/:no', { schema: { params: orderParams } }, async (request, reply) => {
      const l = await live(request);
      return sendHtml(reply, 200, orderPage(session(request).csrf, l.timeline, { html: l.fragment, version: l.version, url: l.url }));
    });
    app.get<OrderRoute>('/dashboard/api/merchants/:mchid/orders/:no/live', { schema: { params: orderParams } }, async (request, reply) => {
      const l = await live(request);
      return reply.type('application/json; charset=utf-8').send(JSON.stringify({ version: l.version, state: l.timeline.order.state, html: l.fragment.text }));
    });
    for (const action of ['pay', 'confirm', 'abandon'] as const) {
      app.post<OrderRoute>(`/dashboard/merchants/:mchid/orders/:no/${action}`, { schema: { params: orderParams } }, async (request, reply) => {
        const ref = refOf(request);
        if (action === 'pay') await payOrder(ctx(request), ref);
        else await answerPasswordPrompt(ctx(request), ref, action);
        return seeOther(reply, orderBase(ref));
      });
    }

    app.get<{ Querystring: Record<string, string> }>('/dashboard/requests', async (request, reply) => {
      const raw = request.query;
      const status = raw.status ? Number(raw.status) : undefined;
      if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599))
        throw new DashboardError(400, 'HTTP status is a number from 100 to 599.');
      const q: RequestQuery = { mchid: raw.mchid || undefined, status, error_code: raw.error_code || undefined, cursor: raw.cursor || undefined, limit: 100 };
      const found = await requestPage(deps, app, q);
      return sendHtml(reply, 200, requestsPage(session(request).csrf, q, found.items, found.next));
    });
  };
}
