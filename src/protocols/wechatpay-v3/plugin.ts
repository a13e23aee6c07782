/**
 * The APIv3 dialect as one encapsulated Fastify plugin: raw-body parser (signatures need the exact bytes),
 * authentication, response signing, error rendering, and the route modules.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUpperHex } from '../../lib/crypto.ts';
import { isCoreError } from '../../core/errors.ts';
import { NonceReplayedError } from '../../core/nonce-ledger.ts';
import { admitNonce } from '../nonce-admission.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { AUTH_SCHEME, parseAuthorization, requestMessage, TIMESTAMP_WINDOW_SECONDS, verifyRequestSignature, type AuthIssue } from './authorization.ts';
import { noteRequest, signaturePrefix } from '../../request-log/note.ts';
import { MAX_BODY_BYTES } from './body.ts';
import { paramError, V3Error, v3ErrorOf, type V3Family } from './errors.ts';
import { platformKeyFor, signatureHeaders } from './response-signing.ts';
import { rawBody, sendJson, type V3Caller } from './request-context.ts';
import { certificateRoutes } from './routes/certificates.ts';
import { globalRoutes } from './routes/global.ts';
import { refundRoutes } from './routes/refunds.ts';
import { transactionRoutes } from './routes/transactions.ts';
import { ConnectionDropFault } from '../../operations/fault-plan.ts';
import { dropConnection } from '../fault-transport.ts';
import { tagRequest } from '../../observability/request-tags.ts';

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
  if (!parsed.ok) {
    noteRequest(request, {
      diagnostics: {
        reason: `Authorization header missing or malformed (expected ${AUTH_SCHEME} mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…")`,
      },
    });
    throw signError(request, parsed.issue);
  }
  const auth = parsed.value;
  const merchant = await deps.merchants.merchantForAuth(auth.mchid);
  if (!merchant?.secrets) {
    noteRequest(request, { mchid: auth.mchid, diagnostics: { reason: `mchid ${auth.mchid} is not a merchant of this gateway` } });
    throw signError(request, 'mchid not found', auth.timestamp, auth.nonceStr);
  }
  tagRequest(request, { mchid: merchant.mchid });
  const wallNow = deps.clock.now();
  const signed = { method: request.method, target: request.raw.url ?? request.url, body: rawBody(request) };
  const refusal = await verifyRequestSignature(auth, signed, merchant.secrets, wallNow, merchant.settings.lenientEmptyBodySignature);
  if (refusal) {
    noteRequest(request, {
      mchid: merchant.mchid,
      diagnostics: {
        reason: refusal.reason,
        expected_signing_string: requestMessage(signed.method, signed.target, auth.timestamp, auth.nonceStr, signed.body),
        key: `merchant certificate, serial ${merchant.secrets.merchantSerialNo}`,
        sign_type: 'SHA256withRSA',
        received_signature_prefix: signaturePrefix(auth.signature),
        ...(refusal.validSerials ? { valid_serials: refusal.validSerials } : {}),
      },
    });
    throw signError(request, refusal.issue, auth.timestamp, auth.nonceStr);
  }
  noteRequest(request, { mchid: merchant.mchid });
  // A nonce may be used once within the timestamp window; taken only after the signature proved the caller.
  const admission = admitNonce(deps.store, deps.nonces, {
    mchid: merchant.mchid,
    nonce: auth.nonceStr,
    expiresAt: wallNow + 2 * TIMESTAMP_WINDOW_SECONDS * 1000,
    now: wallNow,
  });
  const requested = request.headers['wechatpay-serial'];
  request.v3Caller = {
    merchant,
    secrets: merchant.secrets,
    platformKey: platformKeyFor(merchant.secrets, merchant.settings, typeof requested === 'string' ? requested : undefined),
    admission,
    timestamp: auth.timestamp,
    nonce: auth.nonceStr,
  };
}

/** A replayed nonce answers SIGN_ERROR, unsigned, whatever the route would have said. */
function replayRefusal(request: FastifyRequest, caller: V3Caller): V3Error {
  request.v3Caller = null;
  noteRequest(request, {
    errorCode: 'SIGN_ERROR',
    diagnostics: { reason: `nonce replayed: nonce_str ${caller.nonce} was already used by this merchant within ${2 * TIMESTAMP_WINDOW_SECONDS} s` },
  });
  return signError(request, 'nonce invalid', caller.timestamp, caller.nonce);
}

export function wechatpayV3Plugin(deps: GatewayDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
    // Null on every request: Fastify sets a request's decorations afresh when it makes the request object.
    app.decorateRequest('v3Caller', null);

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
      if (error instanceof ConnectionDropFault) return dropConnection(request, reply);
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
  return randomUpperHex(32);
}
