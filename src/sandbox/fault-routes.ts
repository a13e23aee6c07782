/**
 * The fault lab's admin API: `POST/GET/DELETE /sandbox/merchants/{mchid}/faults[/{id}]`. Registered inside the
 * sandbox plugin, so the admin token check applies. The JSON schema describes the body; the authoritative check
 * (cross-field rules, defaults) is `parseFaultDefinition`, shared with the request header and the CLI. A refused
 * definition answers 400 (404 for an unknown merchant) naming the field, and stores nothing.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import {
  FAULT_COMMITS,
  FAULT_DIALECTS,
  FAULT_EFFECTS,
  FAULT_OPERATIONS,
  FaultDefinitionError,
  MAX_FAULT_DELAY_MS,
  parseFaultDefinition,
  type StoredFault,
} from '../core/faults.ts';
import type { GatewayDeps } from '../server-deps.ts';
import { routeSchema } from './admin-schemas.ts';
import type { FaultAdmin } from '../store/fault-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function faultView(f: StoredFault): Record<string, unknown> {
  return {
    id: f.id,
    operation: f.operation,
    dialect: f.dialect,
    out_trade_no: f.outTradeNo,
    effect: f.effect,
    commit: f.commit,
    delay_ms: f.delayMs,
    times: f.times,
    fired: f.fired,
    remaining: Math.max(0, f.times - f.fired),
    created_at: iso(f.createdAt),
  };
}

const MCHID_PARAMS = { type: 'object', properties: { mchid: { type: 'string' } }, required: ['mchid'] } as const;
const FAULT_PARAMS = { type: 'object', properties: { mchid: { type: 'string' }, id: { type: 'string' } }, required: ['mchid', 'id'] } as const;

const FAULT_BODY = {
  type: 'object',
  required: ['operation', 'effect'],
  properties: {
    operation: { type: 'string', enum: [...FAULT_OPERATIONS] },
    dialect: { type: 'string', enum: [...FAULT_DIALECTS] },
    out_trade_no: { type: 'string', minLength: 1, maxLength: 64 },
    effect: { type: 'string', enum: [...FAULT_EFFECTS] },
    commit: { type: 'string', enum: [...FAULT_COMMITS] },
    delay_ms: { type: 'integer', minimum: 0, maximum: MAX_FAULT_DELAY_MS },
    times: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

const FAULT_VIEW = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    operation: { type: 'string' },
    dialect: { type: ['string', 'null'] },
    out_trade_no: { type: ['string', 'null'] },
    effect: { type: 'string' },
    commit: { type: ['string', 'null'] },
    delay_ms: { type: 'integer' },
    times: { type: 'integer' },
    fired: { type: 'integer' },
    remaining: { type: 'integer' },
    created_at: { type: 'string' },
  },
} as const;

const FAULT_LIST = { type: 'object', properties: { data: { type: 'array', items: FAULT_VIEW } } } as const;
const CLEARED = { type: 'object', properties: { deleted: { type: 'integer' } } } as const;

class FaultRouteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** The field a schema violation is about: `/delay_ms` → delay_ms; a missing property names itself. */
function fieldOf(error: FastifyError): string {
  const v = error.validation?.[0];
  const missing = (v?.params as { missingProperty?: string } | undefined)?.missingProperty;
  if (missing) return missing;
  const path = (v?.instancePath ?? '').replace(/^\//, '').split('/')[0];
  return path || error.validationContext || 'body';
}

export function faultRoutes(deps: GatewayDeps, admin: FaultAdmin) {
  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  const merchantOrThrow = async (mchid: string) => {
    if (!(await deps.store.getMerchant(mchid))) throw new FaultRouteError(404, 'MERCHANT_NOT_FOUND', 'mchid', `merchant ${mchid} does not exist`);
  };

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error instanceof FaultRouteError) return send(reply, error.status, { error: error.code, field: error.field, message: error.message });
      if (error instanceof FaultDefinitionError) return send(reply, 400, { error: 'INVALID_FAULT', field: error.field, message: error.message });
      if (error.validation) return send(reply, 400, { error: 'INVALID_FAULT', field: fieldOf(error), message: error.message });
      throw error; // the sandbox's own handler answers the rest
    });

    type Mchid = { Params: { mchid: string } };
    app.post<Mchid>(
      '/sandbox/merchants/:mchid/faults',
      {
        schema: routeSchema("Add a fault to the merchant's fault plan", { params: MCHID_PARAMS, body: FAULT_BODY, ok: { 201: FAULT_VIEW } }),
      },
      async (request, reply) => {
        const body = request.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FaultDefinitionError('body', 'body must be a JSON object');
        const spec = parseFaultDefinition(body as Record<string, unknown>);
        const stored = await admin.add(request.params.mchid, spec, deps.clock.now());
        if (!stored) throw new FaultRouteError(404, 'MERCHANT_NOT_FOUND', 'mchid', `merchant ${request.params.mchid} does not exist`);
        return send(reply, 201, faultView(stored));
      },
    );

    app.get<Mchid>(
      '/sandbox/merchants/:mchid/faults',
      {
        schema: routeSchema("The merchant's fault plan, with how many times each fault has fired", { params: MCHID_PARAMS, ok: { 200: FAULT_LIST } }),
      },
      async (request, reply) => {
        await merchantOrThrow(request.params.mchid);
        return send(reply, 200, { data: (await admin.list(request.params.mchid)).map(faultView) });
      },
    );

    app.delete<Mchid>(
      '/sandbox/merchants/:mchid/faults',
      {
        schema: routeSchema('Remove every fault of the merchant', { params: MCHID_PARAMS, ok: { 200: CLEARED } }),
      },
      async (request, reply) => {
        await merchantOrThrow(request.params.mchid);
        return send(reply, 200, { deleted: await admin.clear(request.params.mchid) });
      },
    );

    app.delete<{ Params: { mchid: string; id: string } }>(
      '/sandbox/merchants/:mchid/faults/:id',
      {
        schema: routeSchema('Remove one fault', { params: FAULT_PARAMS, ok: { 204: { type: 'null', description: 'removed' } } }),
      },
      async (request, reply) => {
        await merchantOrThrow(request.params.mchid);
        if (!(await admin.remove(request.params.mchid, request.params.id))) {
          throw new FaultRouteError(404, 'FAULT_NOT_FOUND', 'id', `fault ${request.params.id} does not exist`);
        }
        return reply.code(204).send();
      },
    );
  };
}
