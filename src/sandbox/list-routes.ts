/**
 * The sandbox's lists (JSON, admin token checked by the enclosing sandbox plugin): merchants, a merchant's orders
 * with filters, and the request log. Every list answers `{ data, next_cursor }` (keyset pagination).
 */
import { routeSchema } from './admin-schemas.ts';
import type { FastifyInstance } from 'fastify';
import type { MerchantProfile } from '../core/merchant.ts';
import type { Order } from '../core/order.ts';
import type { GatewayDeps } from '../server-deps.ts';
import { listMerchantsPage, listOrdersPage } from '../store/listing.ts';
import { requestListRoute } from '../request-log/routes.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const nullable = (type: string) => ({ type: [type, 'null'] });

export const limitSchema = { type: 'integer', minimum: 1, maximum: 200, default: 50 } as const;
export const cursorSchema = { type: 'string', maxLength: 512 } as const;
const mchidParams = { type: 'object', required: ['mchid'], properties: { mchid: { type: 'string', maxLength: 32 } } } as const;
const listOf = (item: object) => ({
  type: 'object',
  required: ['data', 'next_cursor'],
  properties: { data: { type: 'array', items: item }, next_cursor: nullable('string') },
});

export function merchantListView(m: MerchantProfile) {
  return {
    mchid: m.mchid,
    appid: m.appid,
    mode: m.kind,
    region: m.region,
    sp_mchid: m.parentMchid,
    clock_offset_seconds: m.clockOffsetMs / 1000,
    created_at: iso(m.createdAt),
  };
}

const merchantItem = {
  type: 'object',
  properties: {
    mchid: { type: 'string' },
    appid: { type: 'string' },
    mode: { type: 'string', enum: ['direct', 'service_provider', 'sub_merchant'] },
    region: { type: 'string', enum: ['mainland', 'global'] },
    sp_mchid: nullable('string'),
    clock_offset_seconds: { type: 'number' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

export function orderListView(o: Order) {
  return {
    mchid: o.mchid,
    out_trade_no: o.outTradeNo,
    transaction_id: o.transactionId,
    trade_type: o.tradeType,
    state: o.state,
    amount: o.amount,
    currency: o.currency,
    refunded_amount: o.refundedAmount,
    dialect: o.protocol,
    created_at: iso(o.createdAt),
    paid_at: iso(o.paidAt),
  };
}

const orderItem = {
  type: 'object',
  properties: {
    mchid: { type: 'string' },
    out_trade_no: { type: 'string' },
    transaction_id: nullable('string'),
    trade_type: { type: 'string' },
    state: { type: 'string' },
    amount: { type: 'integer' },
    currency: { type: 'string' },
    refunded_amount: { type: 'integer' },
    dialect: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    paid_at: { ...nullable('string'), format: 'date-time' },
  },
} as const;

export const ORDER_STATES = ['NOTPAY', 'USERPAYING', 'SUCCESS', 'REFUND', 'CLOSED', 'REVOKED', 'PAYERROR'] as const;
export const ORDER_DIALECTS = ['wechatpay-v3', 'wechatpay-global', 'wechatpay-v2', 'paycloud'] as const;
export const TRADE_TYPES = ['MICROPAY', 'NATIVE', 'JSAPI', 'APP', 'MWEB'] as const;

const orderQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ORDER_STATES },
    dialect: { type: 'string', enum: ORDER_DIALECTS },
    trade_type: { type: 'string', enum: TRADE_TYPES },
    out_trade_no_prefix: { type: 'string', maxLength: 64 },
    created_from: { type: 'string', format: 'date-time', description: 'business time, inclusive' },
    created_to: { type: 'string', format: 'date-time', description: 'business time, exclusive' },
    cursor: cursorSchema,
    limit: limitSchema,
  },
} as const;

export interface OrderQuery {
  state?: string;
  dialect?: string;
  trade_type?: string;
  out_trade_no_prefix?: string;
  created_from?: string;
  created_to?: string;
  cursor?: string;
  limit?: number;
}

/** The order filter of the API and of the dashboard's form (empty strings mean "any"). */
export function orderFilterOf(q: OrderQuery) {
  const time = (v: string | undefined) => {
    if (!v) return undefined;
    const ms = Date.parse(v);
    if (!Number.isFinite(ms)) throw new RangeError(`not a date-time: ${v}`);
    return ms;
  };
  return {
    state: q.state || undefined,
    protocol: q.dialect || undefined,
    tradeType: q.trade_type || undefined,
    outTradeNoPrefix: q.out_trade_no_prefix || undefined,
    createdFrom: time(q.created_from),
    createdTo: time(q.created_to),
  };
}

export function listRoutes(deps: GatewayDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { cursor?: string; limit?: number } }>(
      '/sandbox/merchants',
      {
        schema: routeSchema('Merchants in creation order, a keyset page at a time (no keys)', {
          querystring: { type: 'object', additionalProperties: false, properties: { cursor: cursorSchema, limit: limitSchema } },
          ok: { 200: listOf(merchantItem) },
        }),
      },
      async (request) => {
        const page = await listMerchantsPage(deps.sql, request.query.cursor, request.query.limit ?? 50);
        return { data: page.items.map(merchantListView), next_cursor: page.next };
      },
    );

    app.get<{ Params: { mchid: string }; Querystring: OrderQuery }>(
      '/sandbox/merchants/:mchid/orders',
      {
        schema: routeSchema("The merchant's orders, newest first, filtered, a keyset page at a time", {
          params: mchidParams,
          querystring: orderQuery,
          ok: { 200: listOf(orderItem) },
        }),
      },
      async (request, reply) => {
        const merchant = await deps.store.getMerchant(request.params.mchid);
        if (!merchant) return reply.code(404).send({ error: 'MERCHANT_NOT_FOUND', message: `merchant ${request.params.mchid} does not exist` });
        const q = request.query;
        const page = await listOrdersPage(deps.sql, merchant.mchid, orderFilterOf(q), q.cursor, q.limit ?? 50);
        return { data: page.items.map(orderListView), next_cursor: page.next };
      },
    );

    await app.register(requestListRoute(deps));
  };
}
