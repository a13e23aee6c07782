/**
 * What an APIv3 route knows of its request once the plugin (plugin.ts) has authenticated it: the caller, the raw
 * body, the store its operations use. Apart from plugin.ts so that routes need not import the plugin that
 * registers them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Merchant, MerchantSecrets } from '../../core/merchant.ts';
import type { Store } from '../../core/ports.ts';
import type { OperationContext } from '../../operations/context.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import type { NonceAdmission } from '../nonce-admission.ts';
import { V3Error } from './errors.ts';
import type { PlatformKey } from './response-signing.ts';

/** What authentication established about the caller, available to every route. */
export interface V3Caller {
  readonly merchant: Merchant;
  /** The merchant's keys (authentication refused a merchant without them). */
  readonly secrets: MerchantSecrets;
  readonly platformKey: PlatformKey;
  /** The request's nonce, recorded with its first store work, or in onSend at the latest (nonce-admission.ts). */
  readonly admission: NonceAdmission;
  /** The Authorization's timestamp and nonce, for the SIGN_ERROR a late-detected replay answers. */
  readonly timestamp: string;
  readonly nonce: string;
}

import { faultRequestOf } from '../fault-transport.ts';
import { noteRequest } from '../../request-log/note.ts';
import { tagRequest } from '../../observability/request-tags.ts';

declare module 'fastify' {
  interface FastifyRequest {
    v3Caller: V3Caller | null;
    /** Upper-case hex request id, echoed in `Request-ID` and recorded in the order history. */
    tradegateRequestId: string;
  }
  interface FastifyContextConfig {
    /** Which APIv3 family answers a route's errors (Global routes set it). */
    family?: string;
  }
}

/** The caller, after authentication has run (routes are only reached authenticated). */
export function callerOf(request: FastifyRequest): V3Caller {
  if (!request.v3Caller) throw new V3Error(401, { code: 'SIGN_ERROR', message: '签名错误' });
  return request.v3Caller;
}

export function rawBody(request: FastifyRequest): string {
  return Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
}

export function operationContext(deps: GatewayDeps, request: FastifyRequest): OperationContext {
  return {
    store: storeFor(deps, request),
    clock: deps.clock,
    ids: deps.ids,
    protocol: 'wechatpay-v3',
    requestId: request.tradegateRequestId,
    faults: faultRequestOf(request),
  };
}

/** The store as this request's operations see it: its first transaction also records the request's nonce. */
export function storeFor(deps: GatewayDeps, request: FastifyRequest): Store {
  return request.v3Caller?.admission.store ?? deps.store;
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  if (status >= 400) tagRequest(reply.request, { errorCode: (body as { code?: string } | null)?.code ?? String(status) });
  // Refusals carry their code into the request log (successful bodies have none).
  const code = status >= 400 ? (body as { code?: unknown } | null)?.code : undefined;
  if (typeof code === 'string') noteRequest(reply.request, { errorCode: code, message: String((body as { message?: unknown }).message ?? '') });
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}
