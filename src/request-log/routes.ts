/** `GET /sandbox/requests`: the request log, newest first, with the diagnostics of refused authentications. */
import { routeSchema } from '../sandbox/admin-schemas.ts';
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../server-deps.ts';
import { decodeCursor, encodeCursor } from '../store/listing.ts';
import { listRequests } from './listing.ts';
import type { StoredRequest } from './store.ts';

const nullable = (type: string) => ({ type: [type, 'null'] });

export const diagnosticsSchema = {
  type: ['object', 'null'],
  properties: {
    reason: { type: 'string' },
    expected_signing_string: { type: 'string' },
    key: { type: 'string' },
    sign_type: { type: 'string' },
    received_signature_prefix: { type: 'string' },
    valid_serials: { type: 'array', items: { type: 'string' } },
  },
} as const;

const requestItem = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    mchid: nullable('string'),
    dialect: { type: 'string' },
    operation: nullable('string'),
    method: { type: 'string' },
    path: { type: 'string' },
    status: { type: 'integer' },
    error_code: nullable('string'),
    message: nullable('string'),
    latency_ms: { type: 'number' },
    request_id: { type: 'string' },
    out_trade_no: nullable('string'),
    transaction_id: nullable('string'),
    diagnostics: diagnosticsSchema,
  },
} as const;

export function requestView(r: StoredRequest) {
  return { ...r, at: new Date(r.at).toISOString() };
}

export interface RequestQuery {
  mchid?: string;
  status?: number;
  error_code?: string;
  cursor?: string;
  limit?: number;
}

/** The log's page for a query (also what the dashboard's inspector shows). */
export async function requestPage(deps: GatewayDeps, app: FastifyInstance, q: RequestQuery) {
  // This process's buffered records first, so a request just answered is listed (read-your-writes per process).
  await app.requestLog.flush();
  const limit = q.limit ?? 50;
  const rows = await listRequests(deps.sql, {
    mchid: q.mchid || undefined,
    status: q.status,
    errorCode: q.error_code || undefined,
    beforeId: q.cursor ? Number(decodeCursor(q.cursor, ['number'])[0]) : undefined,
    limit: limit + 1,
  });
  const items = rows.slice(0, limit);
  // One row past the page says there is a next page; it starts before the page's last row.
  const last = rows.length > limit ? items.at(-1) : undefined;
  return { items, next: last ? encodeCursor([last.id]) : null };
}

export function requestListRoute(deps: GatewayDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: RequestQuery }>(
      '/sandbox/requests',
      {
        schema: routeSchema('The request log, newest first, with the diagnostics of refused authentications', {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              mchid: { type: 'string', maxLength: 64 },
              status: { type: 'integer', minimum: 100, maximum: 599 },
              error_code: { type: 'string', maxLength: 64 },
              cursor: { type: 'string', maxLength: 512 },
              limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            },
          },
          ok: {
            200: {
              type: 'object',
              required: ['data', 'next_cursor'],
              properties: { data: { type: 'array', items: requestItem }, next_cursor: nullable('string') },
            },
          },
        }),
      },
      async (request) => {
        const page = await requestPage(deps, app, request.query);
        return { data: page.items.map(requestView), next_cursor: page.next };
      },
    );
  };
}
