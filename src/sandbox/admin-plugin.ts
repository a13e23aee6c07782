/**
 * The sandbox admin API under /sandbox: provision merchants, act as the payer, move a merchant's clock, and
 * inspect an order with its refunds and history. Every route needs the admin token (checked in onRequest) and
 * declares its JSON schema (admin-schemas.ts): Fastify validates and serialises through it, and the OpenAPI
 * document at /sandbox/openapi.json is generated from it.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { CoreError, isCoreError, type CoreErrorCode } from '../core/errors.ts';
import type { Merchant } from '../core/merchant.ts';
import type { OrderRef } from '../core/ports.ts';
import type { OperationContext } from '../operations/context.ts';
import { lockCurrentOrder } from '../operations/locked-order.ts';
import { answerPasswordPrompt, payOrder } from '../operations/payer-actions.ts';
import type { GatewayDeps } from '../server-deps.ts';
import { credentialsJson, provisionMerchant, type GatewayUrls, type ProvisionRequest } from './provision.ts';
import { faultRoutes } from './fault-routes.ts';
import type { FaultAdmin } from '../store/fault-store.ts';
import { notificationView, sandboxOrderView } from './views.ts';
import {
  clockBody,
  clockSchema,
  credentialsSchema,
  mchidParams,
  notificationParams,
  notificationsSchema,
  orderParams,
  orderViewSchema,
  provisionBody,
  routeSchema,
} from './admin-schemas.ts';
import { OPENAPI_PATH } from './openapi.ts';
import type { OutboxStore } from '../store/outbox-store.ts';
import { tagRequest } from '../observability/request-tags.ts';
import { listRoutes } from './list-routes.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';

export interface SandboxOptions {
  readonly adminToken: string;
  readonly outbox: OutboxStore;
  /** The fault plan's definitions (the fault lab). */
  readonly faults: FaultAdmin;
  readonly urls: GatewayUrls;
  /** Called after a merchant is provisioned (the CLI writes its credentials file). */
  readonly onMerchantCreated?: (merchant: Merchant, credentials: Record<string, unknown>) => void | Promise<void>;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF: Partial<Record<CoreErrorCode, number>> = { ORDER_NOT_FOUND: 404, MERCHANT_NOT_FOUND: 404, REFUND_NOT_FOUND: 404 };

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  const x = request.headers['x-admin-token'];
  return typeof x === 'string' ? x : undefined;
}

/** A schema refusal in the sandbox's words: 400 naming the field (body property, path or query parameter). */
function validationAnswer(error: FastifyError): { error: string; message: string; field: string } {
  const [first] = error.validation ?? [];
  const where = error.validationContext ?? 'body';
  const params = (first?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const path = (first?.instancePath ?? '').split('/').filter(Boolean).join('.');
  const field = params.missingProperty ?? params.additionalProperty ?? (path || where);
  const code = params.additionalProperty ? 'UNKNOWN_FIELD' : params.missingProperty ? 'MISSING_FIELD' : 'INVALID_FIELD';
  const words = params.additionalProperty ? 'is not a known field' : params.missingProperty ? 'is required' : (first?.message ?? 'is invalid');
  return { error: code, message: field === where ? `${where} ${words}` : `${where} ${field} ${words}`, field };
}

type ProvisionBody = { mode?: ProvisionRequest['mode']; region?: ProvisionRequest['region']; sp_mchid?: string; mchid?: string } & NonNullable<
  ProvisionRequest['settings']
>;

function provisionRequestOf(body: ProvisionBody): ProvisionRequest {
  const { mode, region, sp_mchid: spMchid, mchid, ...settings } = body;
  return { mode, region, spMchid, mchid, settings };
}

export function sandboxPlugin(deps: GatewayDeps, options: SandboxOptions) {
  const ctx = (request: FastifyRequest): OperationContext => ({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    protocol: 'sandbox',
    requestId: request.tradegateRequestId,
  });
  const answer = (reply: FastifyReply, status: number, body: unknown) => {
    if (status >= 400) tagRequest(reply.request, { errorCode: (body as { error?: string }).error ?? String(status) });
    return reply.code(status).send(body);
  };
  const merchantOf = async (mchid: string) => {
    const merchant = await deps.store.getMerchant(mchid);
    if (!merchant) throw new AdminError(404, 'MERCHANT_NOT_FOUND', `merchant ${mchid} does not exist`);
    return merchant;
  };

  return async function plugin(app: FastifyInstance): Promise<void> {
    // The root reads unknown bodies as bytes (protocols verify signatures over them); the admin API speaks JSON
    // only: any other non-empty body is refused before the handler.
    app.removeContentTypeParser('*');
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body: Buffer, done) =>
      body.length === 0 ? done(null, undefined) : done(new AdminError(415, 'UNSUPPORTED_MEDIA_TYPE', 'body must be JSON (Content-Type: application/json)')),
    );
    app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    // The admin token, before anything is read or parsed.
    app.addHook('onRequest', async (request) => {
      const { mchid } = request.params as { mchid?: string };
      if (mchid !== undefined) tagRequest(request, { mchid });
      if (!tokenMatches(bearer(request), options.adminToken)) throw new AdminError(401, 'UNAUTHORIZED', 'admin token required (Authorization: Bearer <token>)');
    });
    // A POST without a body is an empty object (`tradegate merchant create` with no option).
    app.addHook('preValidation', async (request) => {
      if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
    });
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.validation) return answer(reply, 400, validationAnswer(error));
      if (error instanceof AdminError) return answer(reply, error.status, { error: error.code, message: error.message });
      if (isCoreError(error)) return answer(reply, STATUS_OF[error.code] ?? 409, { error: error.code, message: error.message });
      if (error instanceof RangeError) return answer(reply, 400, { error: 'INVALID_REQUEST', message: error.message });
      if (error.statusCode && error.statusCode < 500) return answer(reply, error.statusCode, { error: 'INVALID_REQUEST', message: error.message });
      if (isDatabaseUnavailable(error)) return answer(reply, 503, { error: 'DATABASE_UNAVAILABLE', message: 'the database is unreachable; retry later' });
      request.log.error({ err: error }, 'sandbox error');
      return answer(reply, 500, { error: 'INTERNAL', message: 'internal error' });
    });

    await app.register(listRoutes(deps));
    await app.register(faultRoutes(deps, options.faults));

    app.get(
      OPENAPI_PATH,
      {
        schema: routeSchema('This document: the sandbox API in OpenAPI 3', { ok: { 200: { type: 'object', additionalProperties: true } } }),
      },
      async (_request, reply) => answer(reply, 200, app.swagger()),
    );

    app.post<{ Body: ProvisionBody }>(
      '/sandbox/merchants',
      {
        schema: routeSchema('Provision a merchant; answers its credentials JSON', { body: provisionBody, ok: { 201: credentialsSchema } }),
      },
      async (request, reply) => {
        const req = provisionRequestOf(request.body);
        if (req.mchid && (await deps.store.getMerchant(req.mchid))) throw new AdminError(409, 'MERCHANT_EXISTS', `merchant ${req.mchid} exists`);
        const merchant = await provisionMerchant(deps.store, deps.clock, req);
        const credentials = credentialsJson(merchant, options.urls);
        await options.onMerchantCreated?.(merchant, credentials);
        return answer(reply, 201, credentials);
      },
    );

    type MerchantParams = { Params: { mchid: string } };
    app.get<MerchantParams>(
      '/sandbox/merchants/:mchid',
      {
        schema: routeSchema("A merchant's credentials JSON", { params: mchidParams, ok: { 200: credentialsSchema } }),
      },
      async (request, reply) => answer(reply, 200, credentialsJson(await merchantOf(request.params.mchid), options.urls)),
    );

    type OrderParams = { Params: { mchid: string; no: string } };
    const refOf = (request: FastifyRequest<OrderParams>): OrderRef => ({ mchid: request.params.mchid, outTradeNo: request.params.no });
    const payerRoute = (summary: string) => ({ schema: routeSchema(summary, { params: orderParams, ok: { 200: orderViewSchema } }) });

    app.post<OrderParams>('/sandbox/merchants/:mchid/orders/:no/pay', payerRoute('The payer pays an unpaid order'), async (request, reply) =>
      answer(reply, 200, await sandboxOrderView(deps, await payOrder(ctx(request), refOf(request)))),
    );
    app.post<OrderParams>(
      '/sandbox/merchants/:mchid/orders/:no/confirm',
      payerRoute('The payer confirms a password prompt (USERPAYING → SUCCESS)'),
      async (request, reply) => answer(reply, 200, await sandboxOrderView(deps, await answerPasswordPrompt(ctx(request), refOf(request), 'confirm'))),
    );
    app.post<OrderParams>(
      '/sandbox/merchants/:mchid/orders/:no/abandon',
      payerRoute('The payer abandons a password prompt (USERPAYING → PAYERROR)'),
      async (request, reply) => answer(reply, 200, await sandboxOrderView(deps, await answerPasswordPrompt(ctx(request), refOf(request), 'abandon'))),
    );

    app.get<OrderParams>(
      '/sandbox/merchants/:mchid/orders/:no',
      payerRoute('An order with its refunds and history (time caught up first)'),
      async (request, reply) => {
        const order = await deps.store.transaction(async (tx) => (await lockCurrentOrder(tx, ctx(request), refOf(request))).order);
        return answer(reply, 200, await sandboxOrderView(deps, order));
      },
    );

    app.get<MerchantParams>(
      '/sandbox/merchants/:mchid/notifications',
      {
        schema: routeSchema("The merchant's notification events (newest first, 200 at most) with every attempt", {
          params: mchidParams,
          ok: { 200: notificationsSchema },
        }),
      },
      async (request, reply) => {
        await merchantOf(request.params.mchid);
        const events = await options.outbox.listForMerchant(request.params.mchid);
        return answer(reply, 200, { data: events.map(notificationView) });
      },
    );
    app.post<{ Params: { mchid: string; id: number } }>(
      '/sandbox/merchants/:mchid/notifications/:id/redeliver',
      {
        schema: routeSchema('Send a notification event again now', {
          params: notificationParams,
          ok: { 202: { type: 'object', properties: { id: { type: 'integer' }, status: { type: 'string', enum: ['pending'] } } } },
        }),
      },
      async (request, reply) => {
        const merchant = await merchantOf(request.params.mchid);
        const { id } = request.params;
        if (!(await options.outbox.redeliver(merchant.mchid, id, deps.clock.now() + merchant.clockOffsetMs))) {
          throw new AdminError(404, 'NOTIFICATION_NOT_FOUND', `notification ${id} does not exist`);
        }
        return answer(reply, 202, { id, status: 'pending' });
      },
    );

    const clockView = (merchant: Merchant, offset: number) => {
      const now = deps.clock.now() + offset;
      return { mchid: merchant.mchid, offset_seconds: offset / 1000, now: new Date(now).toISOString(), now_ms: now };
    };
    app.get<MerchantParams>(
      '/sandbox/merchants/:mchid/clock',
      {
        schema: routeSchema("The merchant's business clock", { params: mchidParams, ok: { 200: clockSchema } }),
      },
      async (request, reply) => {
        const merchant = await merchantOf(request.params.mchid);
        return answer(reply, 200, clockView(merchant, merchant.clockOffsetMs));
      },
    );
    app.post<MerchantParams & { Body: { advance_seconds: number } }>(
      '/sandbox/merchants/:mchid/clock',
      {
        schema: routeSchema("Move the merchant's business clock forward", { params: mchidParams, body: clockBody, ok: { 200: clockSchema } }),
      },
      async (request, reply) => {
        const merchant = await merchantOf(request.params.mchid);
        const offset = await deps.store.advanceClock(merchant.mchid, Math.round(request.body.advance_seconds * 1000));
        if (offset === null) throw new CoreError('MERCHANT_NOT_FOUND');
        return answer(reply, 200, clockView(merchant, offset));
      },
    );
  };
}
