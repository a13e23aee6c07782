/**
 * The APIv3 dialect as one encapsulated Fastify plugin: raw-body parser (signatures need the exact bytes),
 * authentication, response signing, error rendering, and the route modules.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { isCoreError } from '../../core/errors.ts';
import type { Merchant } from '../../core/merchant.ts';
import { NonceReplayedError, type Store } from '../../core/ports.ts';
import type { OperationContext } from '../../operations/context.ts';
import { admitNonce, type NonceAdmission } from '../nonce-admission.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { parseAuthorization, requestMessage, TIMESTAMP_WINDOW_SECONDS, verifyRequestSignature, type AuthIssue } from './authorization.ts';
import { MAX_BODY_BYTES } from './body.ts';
import { paramError, V3Error, v3ErrorOf, type V3Family } from './errors.ts';
import { platformKeyFor, signatureHeaders, type PlatformKey } from './response-signing.ts';
import { certificateRoutes } from './routes/certificates.ts';
import { globalRoutes } from './routes/global.ts';
import { refundRoutes } from './routes/refunds.ts';
import { transactionRoutes } from './routes/transactions.ts';
import { tagRequest } from '../../observability/request-tags.ts';

/** What authentication established about the caller, available to every route. */
export interface V3Caller {
  readonly merchant: Merchant;
  readonly platformKey: PlatformKey;
  /** The request's nonce, recorded with its first store work, or in onSend at the latest (nonce-admission.ts). */
  readonly admission: NonceAdmission;
  /** The Authorization's timestamp and nonce, for the SIGN_ERROR a late-detected replay answers. */
  readonly timestamp: string;
  readonly nonce: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    v3Caller: V3Caller | null;
    /** Upper-case hex request id, echoed in `Request-ID` and recorded in the order history. */
    tradegateRequestId: string;
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
  return { store: storeFor(deps, request), clock: deps.clock, ids: deps.ids, protocol: 'wechatpay-v3', requestId: request.tradegateRequestId };
}

/** The store as this request's operations see it: its first transaction also records the request's nonce. */
export function storeFor(deps: GatewayDeps, request: FastifyRequest): Store {
  return request.v3Caller?.admission.store ?? deps.store;
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  if (status >= 400) tagRequest(reply.request, { errorCode: (body as { code?: string } | null)?.code ?? String(status) });
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}

function signError(request: FastifyRequest, issue: AuthIssue, timestamp = '', nonce = ''): V3Error {
  const target = request.raw.url ?? request.url;
  const message = requestMessage(request.method, target, timestamp, nonce, rawBody(request));
  return new V3Error(401, {
    code: 'SIGN_ERROR',
    message: '签名错误,请检查后再试',
    detail: {
      field: 'signature',
      location: 'authorization',
      detail: { issue },
      sign_information: {
        method: request.method,
        url: target,
        sign_message_length: Buffer.byteLength(message),
        truncated_sign_message: Buffer.from(message).subarray(0, 128).toString('utf8'),
      },
    },
  });
}

async function authenticate(deps: GatewayDeps, request: FastifyRequest): Promise<void> {
  const parsed = parseAuthorization(request.headers.authorization);
  if (!parsed.ok) throw signError(request, parsed.issue);
  const auth = parsed.value;
  const merchant = await deps.store.merchantForAuth(auth.mchid);
  if (!merchant?.secrets) throw signError(request, 'mchid not found', auth.timestamp, auth.nonceStr);
  tagRequest(request, { mchid: merchant.mchid });
  const wallNow = deps.clock.now();
  const issue = await verifyRequestSignature(
    auth,
    { method: request.method, target: request.raw.url ?? request.url, body: rawBody(request) },
    merchant.secrets,
    wallNow,
    merchant.settings.lenientEmptyBodySignature,
  );
  if (issue) throw signError(request, issue, auth.timestamp, auth.nonceStr);
  // A nonce may be used once within the timestamp window; taken only after the signature proved the caller.
  const admission = admitNonce(deps.store, {
    mchid: merchant.mchid, nonce: auth.nonceStr, expiresAt: wallNow + 2 * TIMESTAMP_WINDOW_SECONDS * 1000, now: wallNow,
  });
  const requested = request.headers['wechatpay-serial'];
  request.v3Caller = {
    merchant,
    platformKey: platformKeyFor(merchant.secrets, merchant.settings, typeof requested === 'string' ? requested : undefined),
    admission,
    timestamp: auth.timestamp,
    nonce: auth.nonceStr,
  };
}

/** A replayed nonce answers SIGN_ERROR, unsigned, whatever the route would have said. */
function replayRefusal(request: FastifyRequest, caller: V3Caller): V3Error {
  request.v3Caller = null;
  return signError(request, 'nonce invalid', caller.timestamp, caller.nonce);
}

export function wechatpayV3Plugin(deps: GatewayDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
    app.decorateRequest('v3Caller', null);

    app.addHook('onRequest', async (request) => {
      request.v3Caller = null;
    });
    app.addHook('preHandler', async (request) => {
      await authenticate(deps, request);
      // A NUL in the path or query can name nothing (and PostgreSQL text cannot hold it).
      if (/%00/i.test(request.raw.url ?? '')) throw paramError('url', null, '请求URL含有非法字符', 'url');
    });

    app.addHook('onSend', async (request, reply, payload) => {
      reply.header('Request-ID', request.tradegateRequestId);
      const caller = request.v3Caller;
      if (!caller) return payload;
      try {
        await caller.admission.settle();
      } catch (err) {
        if (!(err instanceof NonceReplayedError)) throw err;
        const refusal = replayRefusal(request, caller);
        tagRequest(request, { errorCode: refusal.body.code });
        reply.code(refusal.status).header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(refusal.body);
      }
      const body = typeof payload === 'string' ? payload : payload === undefined || payload === null ? '' : String(payload);
      const headers = await signatureHeaders(body, caller.platformKey, deps.clock.now());
      for (const [name, value] of Object.entries(headers)) reply.header(name, value);
      return payload;
    });

    app.setErrorHandler((error, request, reply) => {
      if (error instanceof V3Error) return sendJson(reply, error.status, error.body);
      if (error instanceof NonceReplayedError && request.v3Caller) {
        const refusal = replayRefusal(request, request.v3Caller);
        return sendJson(reply, refusal.status, refusal.body);
      }
      if (isCoreError(error)) {
        // Global/HK routes declare their error family (their pages spell some codes differently).
        const family = (request.routeOptions.config as { family?: V3Family } | undefined)?.family ?? 'mainland';
        const v3 = v3ErrorOf(error.code, family);
        return sendJson(reply, v3.status, v3.body);
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413) return sendJson(reply, 413, { code: 'PARAM_ERROR', message: '请求体过大' });
      if (status && status >= 400 && status < 500) return sendJson(reply, 400, { code: 'PARAM_ERROR', message: '请求格式错误' });
      request.log.error({ err: error }, 'unexpected error');
      return sendJson(reply, 500, { code: 'SYSTEM_ERROR', message: '系统错误' });
    });


    await app.register(transactionRoutes(deps, 'direct'));
    await app.register(transactionRoutes(deps, 'partner'));
    await app.register(refundRoutes(deps));
    await app.register(certificateRoutes(deps));
    await app.register(globalRoutes(deps));
  };
}

export function newRequestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}
