/**
 * The APIv2 (XML) dialect as one encapsulated Fastify plugin. Every request runs the processing order of
 * wechatpay-v2.md §4: method → XML → mch_id known → common params → sign_type → signature → mTLS identity →
 * appid/sub_* binding → business params → endpoint. Everything before the signature is proven is refused at return
 * level (unsigned, nothing echoed); everything after is a signed result-level answer. Always HTTP 200.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCoreError } from '../../core/errors.ts';
import { randomAlnum } from '../../lib/crypto.ts';
import type { OperationContext } from '../../operations/context.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { V2ResultFail, V2ReturnFail, v2ErrorOf, type V2Endpoint } from './errors.ts';
import { commonParamsIssue, ECHOED_FIELDS, resolveCaller, signingMerchant } from './identity.ts';
import { ParamReader } from './params.ts';
import type { V2Route } from './route.ts';
import { orderRoutes } from './routes/orders.ts';
import { paymentRoutes } from './routes/payments.ts';
import { refundRoutes } from './routes/refunds.ts';
import {
  CERT_MISMATCH_MSG,
  certificateMatches,
  clientCertificateMchid,
  dropUnverifiedClient,
  isSecapi,
  plainHttpRefusal,
  type SecapiOptions,
} from './secapi-transport.ts';
import { maskedSigningStringV2, signV2, verifyV2, type SignTypeV2, type V2SignRefusal } from './sign.ts';
import { noteRequest, signaturePrefix } from '../../request-log/note.ts';
import type { V2Fields } from './views.ts';
import { buildXml, MAX_XML_BODY_BYTES, parseXmlBody, XML_RETURN_MSG } from './xml.ts';
import { tagRequest } from '../../observability/request-tags.ts';
import { ConnectionDropFault } from '../../operations/fault-plan.ts';
import { dropConnection, faultRequestOf } from '../fault-transport.ts';

export interface V2PluginOptions {
  readonly secapi: SecapiOptions;
}

export const ROUTES: readonly V2Route[] = [...paymentRoutes, ...orderRoutes, ...refundRoutes];

const POST_ONLY_MSG = '请使用post方法';
const UNKNOWN_MCHID_MSG = 'mch_id参数错误或商户号不存在';

function sendXml(reply: FastifyReply, xml: string): FastifyReply {
  return reply.code(200).header('content-type', 'text/xml; charset=utf-8').send(xml);
}

/** Return-level FAIL: only `return_code` and `return_msg`, unsigned (§4). */
function sendReturnFail(reply: FastifyReply, returnMsg: string): FastifyReply {
  tagRequest(reply.request, { errorCode: 'FAIL' });
  noteRequest(reply.request, { errorCode: 'FAIL', message: returnMsg });
  return sendXml(reply, buildXml({ return_code: 'FAIL', return_msg: returnMsg }));
}

/** A `return_code=SUCCESS` answer: identity echoed, fresh nonce, signed with the request's algorithm (§4). */
function sendSigned(reply: FastifyReply, echo: V2Fields, result: V2Fields, key: string, signType: SignTypeV2): FastifyReply {
  if (result.result_code === 'FAIL') tagRequest(reply.request, { errorCode: String(result.err_code) });
  const fields: V2Fields = { return_code: 'SUCCESS', return_msg: 'OK', ...echo, nonce_str: randomAlnum(32), ...result };
  const strings = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));
  const { return_code, return_msg, ...rest } = fields;
  // `sign` right after nonce_str as in the official examples; it covers every other emitted field.
  const ordered: V2Fields = { return_code, return_msg };
  for (const [k, v] of Object.entries(rest)) {
    ordered[k] = v;
    if (k === 'nonce_str') ordered.sign = signV2(strings, key, signType);
  }
  return sendXml(reply, buildXml(ordered));
}

/** A refusal after authentication in result-level words; unexpected errors become SYSTEMERROR (retryable). */
function resultFailOf(err: unknown, endpoint: V2Endpoint, request: FastifyRequest): V2ResultFail {
  if (err instanceof V2ResultFail) return err;
  if (isCoreError(err)) return v2ErrorOf(err.code, endpoint);
  request.log.error({ err }, 'unexpected error in APIv2 endpoint');
  return new V2ResultFail('SYSTEMERROR', '系统错误', true);
}

function resultFields(fail: V2ResultFail, endpoint: V2Endpoint, request: FastifyRequest): V2Fields {
  noteRequest(request, { errorCode: fail.errCode, message: fail.errCodeDes });
  return {
    result_code: 'FAIL',
    err_code: fail.errCode,
    err_code_des: fail.errCodeDes,
    // Every reverse answer says whether to call reverse again (§6.5): Y exactly for the retryable refusals.
    ...(endpoint === 'reverse' ? { recall: fail.retryable ? 'Y' : 'N' } : {}),
  };
}

function operationContext(deps: GatewayDeps, request: FastifyRequest): OperationContext {
  return {
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    protocol: 'wechatpay-v2',
    requestId: request.tradegateRequestId,
    faults: faultRequestOf(request),
  };
}

/** Steps up to the signature: returns the proven caller's parameters and key, or throws V2ReturnFail. */
async function authenticate(deps: GatewayDeps, options: V2PluginOptions, route: V2Route, request: FastifyRequest) {
  if (request.method !== 'POST') throw new V2ReturnFail(POST_ONLY_MSG);
  if (isSecapi(route.path)) {
    const refusal = plainHttpRefusal(request, options.secapi);
    if (refusal) throw new V2ReturnFail(refusal);
  }
  const parsed = parseXmlBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
  if (!parsed.ok) throw new V2ReturnFail(parsed.returnMsg);
  const params = parsed.params;
  noteRequest(request, { mchid: params.mch_id, operation: route.endpoint });
  const signer = await signingMerchant(deps, params.mch_id);
  // signingMerchant answers only merchants holding keys: the key is there whenever the signer is.
  const key = signer?.secrets?.apiV2Key;
  if (!signer || key === undefined) {
    noteRequest(request, { diagnostics: { reason: `mch_id ${params.mch_id ?? '(absent)'} is not a merchant of this gateway` } });
    throw new V2ReturnFail(UNKNOWN_MCHID_MSG);
  }
  tagRequest(request, { mchid: signer.mchid });
  const issue = commonParamsIssue(params);
  if (issue) throw new V2ReturnFail(issue);
  const verified = verifyV2(params, key);
  if (!verified.ok) {
    noteRequest(request, { diagnostics: v2SignDiagnostics(params, signer.mchid, verified.reason) });
    throw new V2ReturnFail(verified.returnMsg);
  }
  // Only the trimmed values are covered by a fallback signature: padding an attacker added must not reach an order.
  if (verified.trimmed)
    request.log.warn({ mchid: signer.mchid }, 'APIv2 signature verified only over trimmed values (Java SDK fallback); continuing with the trimmed values');
  if (isSecapi(route.path) && !certificateMatches(request, signer.mchid)) {
    noteRequest(request, { diagnostics: { reason: `client certificate CN ${clientCertificateMchid(request) || '(none)'} ≠ mch_id ${signer.mchid}` } });
    throw new V2ReturnFail(CERT_MISMATCH_MSG);
  }
  return { params: verified.params, signer, key, signType: verified.signType };
}

/** What the request log shows for a refused signature: the string to sign (key masked), the key, the reason. */
function v2SignDiagnostics(params: Readonly<Record<string, string>>, mchid: string, reason: V2SignRefusal) {
  const declared = params.sign_type || 'MD5 (sign_type absent)';
  const text = {
    'unknown sign_type': `sign_type ${params.sign_type} is neither MD5 nor HMAC-SHA256`,
    'sign missing': 'sign is missing or empty',
    'sign_type mismatch': `sign_type mismatch: sign was made with the other algorithm than sign_type ${declared} names`,
    'signature does not verify': `signature does not verify (${declared})`,
  }[reason];
  return {
    reason: text,
    expected_signing_string: maskedSigningStringV2(params),
    key: `APIv2 key of mch_id ${mchid}`,
    sign_type: declared,
    received_signature_prefix: signaturePrefix(params.sign ?? ''),
  };
}

async function answer(deps: GatewayDeps, options: V2PluginOptions, route: V2Route, request: FastifyRequest, reply: FastifyReply) {
  let auth: Awaited<ReturnType<typeof authenticate>>;
  try {
    auth = await authenticate(deps, options, route, request);
  } catch (err) {
    if (err instanceof V2ReturnFail) return sendReturnFail(reply, err.returnMsg);
    throw err;
  }
  const { params, signer, key, signType } = auth;
  const echo: V2Fields = Object.fromEntries(ECHOED_FIELDS.map((name) => [name, params[name]]));
  try {
    const caller = await resolveCaller(deps, signer, params);
    const reader = new ParamReader(params, route.endpoint);
    const fields = await route.handle({ deps, ctx: operationContext(deps, request), caller, params, reader, signType });
    const recall = route.endpoint === 'reverse' ? { recall: 'N' } : {};
    return sendSigned(reply, echo, { result_code: 'SUCCESS', ...recall, ...fields }, key, signType);
  } catch (err) {
    if (err instanceof ConnectionDropFault) return dropConnection(request, reply);
    return sendSigned(reply, echo, resultFields(resultFailOf(err, route.endpoint, request), route.endpoint, request), key, signType);
  }
}

export function wechatpayV2Plugin(deps: GatewayDeps, options: V2PluginOptions) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // Clients send text/xml, application/xml, anything else or no Content-Type at all (§1): read raw bytes always.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_XML_BODY_BYTES }, (_req, body, done) => done(null, body));

    app.addHook('onRequest', async (request, reply) => {
      if (isSecapi(request.routeOptions.url ?? '')) dropUnverifiedClient(request, reply);
      // Fastify refuses a malformed media type before any parser runs; APIv2 ignores the header altogether.
      if (request.raw.headers['content-type'] !== undefined) request.raw.headers['content-type'] = 'application/octet-stream';
    });

    // Failures before the handler (body too large, malformed framing) are still the protocol's answer.
    app.setErrorHandler((error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413) return sendReturnFail(reply, XML_RETURN_MSG.tooLarge);
      if (status !== undefined && status >= 400 && status < 500) return sendReturnFail(reply, XML_RETURN_MSG.badXml);
      request.log.error({ err: error }, 'unexpected error in APIv2 plugin');
      return sendReturnFail(reply, '系统繁忙，请稍后再试');
    });

    for (const route of ROUTES) {
      // Every method reaches the handler, which answers anything but POST with the protocol's refusal (§1).
      app.all(route.path, (request, reply) => answer(deps, options, route, request, reply));
    }
  };
}
