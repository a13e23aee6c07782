/**
 * The sandbox admin API under /sandbox: provision merchants, act as the payer, move a merchant's clock, and
 * inspect an order with its refunds and history. Every route needs the admin token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { CoreError, isCoreError, type CoreErrorCode } from '../core/errors.ts';
import type { Merchant } from '../core/merchant.ts';
import type { OrderRef } from '../core/ports.ts';
import type { OperationContext } from '../operations/context.ts';
import { lockCurrentOrder } from '../operations/locked-order.ts';
import { answerPasswordPrompt, payOrder } from '../operations/payer-actions.ts';
import type { GatewayDeps } from '../server-deps.ts';
import { credentialsJson, provisionMerchant, type GatewayUrls, type ProvisionRequest } from './provision.ts';
import { notificationView, sandboxOrderView } from './views.ts';
import type { OutboxStore } from '../store/outbox-store.ts';
import { tagRequest } from '../observability/request-tags.ts';

export interface SandboxOptions {
  readonly adminToken: string;
  readonly outbox: OutboxStore;
  readonly urls: GatewayUrls;
  /** Called after a merchant is provisioned (the CLI writes its credentials file). */
  readonly onMerchantCreated?: (merchant: Merchant, credentials: Record<string, unknown>) => void | Promise<void>;
}

class AdminError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
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

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (b === undefined || b === null || b === '') return {};
  if (typeof b !== 'object' || Array.isArray(b) || Buffer.isBuffer(b)) throw new AdminError(400, 'INVALID_BODY', 'body must be a JSON object (Content-Type: application/json)');
  return b as Record<string, unknown>;
}

function provisionRequestOf(body: Record<string, unknown>): ProvisionRequest {
  const { mode, region, sp_mchid: spMchid, mchid, ...settings } = body;
  if (mode !== undefined && mode !== 'direct' && mode !== 'service_provider' && mode !== 'sub_merchant') {
    throw new AdminError(400, 'INVALID_MODE', 'mode must be direct, service_provider or sub_merchant');
  }
  if (region !== undefined && region !== 'mainland' && region !== 'global') throw new AdminError(400, 'INVALID_REGION', 'region must be mainland or global');
  const allowed = ['strictTiming', 'lenientEmptyBodySignature', 'platformMode', 'currency', 'exchangeRate'];
  for (const key of Object.keys(settings)) if (!allowed.includes(key)) throw new AdminError(400, 'UNKNOWN_FIELD', `unknown field ${key}`);
  return {
    mode, region,
    spMchid: typeof spMchid === 'string' ? spMchid : undefined,
    mchid: typeof mchid === 'string' ? mchid : undefined,
    settings: settings as ProvisionRequest['settings'],
  };
}

export function sandboxPlugin(deps: GatewayDeps, options: SandboxOptions) {
  const ctx = (request: FastifyRequest): OperationContext => ({
    store: deps.store, clock: deps.clock, ids: deps.ids, protocol: 'sandbox', requestId: request.tradegateRequestId,
  });
  const send = (reply: FastifyReply, status: number, body: unknown) => {
    if (status >= 400) tagRequest(reply.request, { errorCode: (body as { error?: string }).error ?? String(status) });
    return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  };
  const merchantOf = async (mchid: string) => {
    const merchant = await deps.store.getMerchant(mchid);
    if (!merchant) throw new AdminError(404, 'MERCHANT_NOT_FOUND', `merchant ${mchid} does not exist`);
    return merchant;
  };

  return async function plugin(app: FastifyInstance): Promise<void> {
    // The root reads unknown bodies as bytes; the admin API speaks JSON (other types stay bytes and are refused).
    app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    app.addHook('onRequest', async (request) => {
      const { mchid } = request.params as { mchid?: string };
      if (mchid !== undefined) tagRequest(request, { mchid });
      if (!tokenMatches(bearer(request), options.adminToken)) throw new AdminError(401, 'UNAUTHORIZED', 'admin token required (Authorization: Bearer <token>)');
    });
    app.setErrorHandler((error, request, reply) => {
      if (error instanceof AdminError) return send(reply, error.status, { error: error.code, message: error.message });
      if (isCoreError(error)) return send(reply, STATUS_OF[error.code] ?? 409, { error: error.code, message: error.message });
      if (error instanceof RangeError) return send(reply, 400, { error: 'INVALID_REQUEST', message: error.message });
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status < 500) return send(reply, status, { error: 'INVALID_REQUEST', message: (error as Error).message });
      request.log.error({ err: error }, 'sandbox error');
      return send(reply, 500, { error: 'INTERNAL', message: 'internal error' });
    });

    app.post('/sandbox/merchants', async (request, reply) => {
      const req = provisionRequestOf(objectBody(request));
      if (req.mchid && (await deps.store.getMerchant(req.mchid))) throw new AdminError(409, 'MERCHANT_EXISTS', `merchant ${req.mchid} exists`);
      const merchant = await provisionMerchant(deps.store, deps.clock, req);
      const credentials = credentialsJson(merchant, options.urls);
      await options.onMerchantCreated?.(merchant, credentials);
      return send(reply, 201, credentials);
    });

    app.get<{ Params: { mchid: string } }>('/sandbox/merchants/:mchid', async (request, reply) =>
      send(reply, 200, credentialsJson(await merchantOf(request.params.mchid), options.urls)));

    type OrderParams = { Params: { mchid: string; no: string } };
    const refOf = (request: FastifyRequest<OrderParams>): OrderRef => ({ mchid: request.params.mchid, outTradeNo: request.params.no });

    app.post<OrderParams>('/sandbox/merchants/:mchid/orders/:no/pay', async (request, reply) =>
      send(reply, 200, await sandboxOrderView(deps, await payOrder(ctx(request), refOf(request)))));
    app.post<OrderParams>('/sandbox/merchants/:mchid/orders/:no/confirm', async (request, reply) =>
      send(reply, 200, await sandboxOrderView(deps, await answerPasswordPrompt(ctx(request), refOf(request), 'confirm'))));
    app.post<OrderParams>('/sandbox/merchants/:mchid/orders/:no/abandon', async (request, reply) =>
      send(reply, 200, await sandboxOrderView(deps, await answerPasswordPrompt(ctx(request), refOf(request), 'abandon'))));

    app.get<OrderParams>('/sandbox/merchants/:mchid/orders/:no', async (request, reply) => {
      const order = await deps.store.transaction(async (tx) => (await lockCurrentOrder(tx, ctx(request), refOf(request))).order);
      return send(reply, 200, await sandboxOrderView(deps, order));
    });

    app.get<{ Params: { mchid: string } }>('/sandbox/merchants/:mchid/notifications', async (request, reply) => {
      await merchantOf(request.params.mchid);
      const events = await options.outbox.listForMerchant(request.params.mchid);
      return send(reply, 200, { data: events.map(notificationView) });
    });
    app.post<{ Params: { mchid: string; id: string } }>('/sandbox/merchants/:mchid/notifications/:id/redeliver', async (request, reply) => {
      const merchant = await merchantOf(request.params.mchid);
      const id = Number(request.params.id);
      if (!Number.isSafeInteger(id) || !(await options.outbox.redeliver(merchant.mchid, id, deps.clock.now() + merchant.clockOffsetMs))) {
        throw new AdminError(404, 'NOTIFICATION_NOT_FOUND', `notification ${request.params.id} does not exist`);
      }
      return send(reply, 202, { id, status: 'pending' });
    });

    const clockView = (merchant: Merchant, offset: number) => {
      const now = deps.clock.now() + offset;
      return { mchid: merchant.mchid, offset_seconds: offset / 1000, now: new Date(now).toISOString(), now_ms: now };
    };
    app.get<{ Params: { mchid: string } }>('/sandbox/merchants/:mchid/clock', async (request, reply) => {
      const merchant = await merchantOf(request.params.mchid);
      return send(reply, 200, clockView(merchant, merchant.clockOffsetMs));
    });
    app.post<{ Params: { mchid: string } }>('/sandbox/merchants/:mchid/clock', async (request, reply) => {
      const seconds = objectBody(request).advance_seconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 10 * 366 * 86400) {
        throw new AdminError(400, 'INVALID_ADVANCE', 'advance_seconds must be a number of seconds ≥ 0 (the clock never goes back)');
      }
      const merchant = await merchantOf(request.params.mchid);
      const offset = await deps.store.advanceClock(merchant.mchid, Math.round(seconds * 1000));
      if (offset === null) throw new CoreError('MERCHANT_NOT_FOUND');
      return send(reply, 200, clockView(merchant, offset));
    });
  };
}
