/**
 * What a request was, for its log line and its metrics: dialect, operation, the merchant it acted for and the
 * protocol's error code. The root sets dialect and operation from the path and route; each dialect plugin adds
 * what only it knows (the authenticated mchid, the error code it answered, PayCloud's `method`).
 */
import type { FastifyRequest } from 'fastify';
import type { Outcome } from './metrics.ts';

export type Dialect = 'wechatpay-v3' | 'wechatpay-global' | 'wechatpay-v2' | 'paycloud' | 'sandbox' | 'ops';

export interface RequestTags {
  dialect: Dialect;
  /** Route pattern (`/v3/pay/transactions/out-trade-no/:out_trade_no/reverse`) or PayCloud method; `unknown` off-route. */
  operation: string;
  mchid: string | null;
  /** The protocol's own error code (`ORDER_NOT_EXIST`, `SYSTEMERROR`, `2005`, `FAIL` for APIv2 return-level). */
  errorCode: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    tags: RequestTags;
  }
}

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function dialectOfPath(path: string): Dialect {
  if (/^\/+(v3\/global|hk\/v3)\//i.test(path)) return 'wechatpay-global';
  if (/^\/+v3\//i.test(path)) return 'wechatpay-v3';
  if (/^\/+(pay|secapi)\//i.test(path)) return 'wechatpay-v2';
  if (/^\/+api\/entry/i.test(path)) return 'paycloud';
  if (OPS_PATHS.has(path)) return 'ops';
  return 'sandbox';
}

export function initialTags(request: FastifyRequest): RequestTags {
  const path = (request.raw.url ?? '').split('?')[0] ?? '';
  return { dialect: dialectOfPath(path), operation: request.routeOptions.url ?? 'unknown', mchid: null, errorCode: null };
}

/** Adds what a plugin learned (cheap: a property write). */
export function tagRequest(request: FastifyRequest, tags: Partial<Pick<RequestTags, 'mchid' | 'errorCode' | 'operation'>>): void {
  if (request.tags) Object.assign(request.tags, tags);
}

const SYSTEM_CODES = new Set(['SYSTEMERROR', 'SYSTEM_ERROR', '9999', 'INTERNAL']);

export function outcomeOf(tags: RequestTags, statusCode: number): Outcome {
  if (statusCode >= 500 || (tags.errorCode !== null && SYSTEM_CODES.has(tags.errorCode))) return 'error';
  return tags.errorCode === null && statusCode < 400 ? 'ok' : 'refused';
}
