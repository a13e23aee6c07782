/**
 * The PayCloud OpenAPI dialect as one encapsulated Fastify plugin (paycloud-openapi.md §1–§6): one signed entry
 * point, `POST /api/entry` and its alias paths, routed by the `method` field. Every answer is HTTP 200 with a
 * signed JSON envelope, errors included. Envelope checks (1xxx) run before any operation, so a request refused
 * there never writes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { isCoreError } from '../../core/errors.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { payCloudAppOf } from '../../store/paycloud-apps.ts';
import { buildResponse } from './envelope.ts';
import { PayCloudError, payCloudErrorOf } from './errors.ts';
import { gatewayKeys } from './gateway-key.ts';
import { newPsn, payCloudIds } from './ids.ts';
import type { MethodHandler } from './method-call.ts';
import { ORDER_METHODS } from './methods/orders.ts';
import { PAYMENT_METHODS } from './methods/payments.ts';
import { REFUND_METHODS } from './methods/refunds.ts';
import { ParamReader } from './params.ts';
import { BAD_SIGNATURE_MSG, commonFields, decodeBody, MAX_BODY_BYTES, refuseAstralCharacters, timestampRefusal, verifyRequest } from './request.ts';
import { noteRequest, signaturePrefix } from '../../request-log/note.ts';
import { publicKeyFromSpkiBase64 } from './sign.ts';
import { tagRequest } from '../../observability/request-tags.ts';
import { ConnectionDropFault } from '../../operations/fault-plan.ts';
import { dropConnection, faultRequestOf } from '../fault-transport.ts';

/** Method name → handler (§8). Names absent here, including the SDK's out-of-scope methods, answer 1005. */
export const METHODS: ReadonlyMap<string, MethodHandler> = new Map(
  Object.entries({
    ...PAYMENT_METHODS,
    ...ORDER_METHODS,
    ...REFUND_METHODS,
  }),
);

/** The method each documented alias path stands for (§1): routing is by `method`; a disagreement is only logged. */
const ALIASES: Readonly<Record<string, string>> = {
  cpm: 'bscanc.pay.submit',
  mpm: 'cscanb.pay.getqrcode',
  void: 'order.revoker',
  refund: 'order.refund.submit',
  refundquery: 'order.refund.query',
};

const ENTRY_PATHS = ['/api/entry', '/api/entry/', '/api/entry/:alias'];

declare module 'fastify' {
  interface FastifyRequest {
    /** The request serial echoed as `psn` (§1, §5). */
    payCloudPsn: string;
  }
}

/** `Http-Request-Psn` when it is a sane token, else a fresh 20-digit serial. */
function psnOf(request: FastifyRequest): string {
  const sent = request.headers['http-request-psn'];
  return typeof sent === 'string' && /^[\x21-\x7e]{1,64}$/.test(sent) ? sent : newPsn();
}

/** App public keys parsed once per distinct key (parsing DER costs more than verifying). */
const appKeys = new Map<string, KeyObject>();
function appPublicKey(spkiBase64: string): KeyObject {
  let key = appKeys.get(spkiBase64);
  if (!key) {
    key = publicKeyFromSpkiBase64(spkiBase64);
    appKeys.set(spkiBase64, key);
  }
  return key;
}

export function payCloudPlugin(deps: GatewayDeps) {
  const send = async (reply: FastifyReply, code: string, msg: string, data: Record<string, unknown>) => {
    if (code !== '0') {
      tagRequest(reply.request, { errorCode: code });
      noteRequest(reply.request, { errorCode: code, message: msg });
    }
    const { privateKey } = await gatewayKeys(deps.store);
    const text = await buildResponse({ code, msg, psn: reply.request.payCloudPsn, data }, privateKey);
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(text);
  };

  async function entry(request: FastifyRequest<{ Params: { alias?: string } }>, reply: FastifyReply) {
    const body = decodeBody(request.body, request.headers['content-type']);
    const common = commonFields(body.fields);
    const merchant = await deps.merchants.merchantByAppId(common.appId);
    const app = merchant ? payCloudAppOf(merchant) : null;
    // The method names the operation only when it is one (metrics labels stay a bounded set).
    tagRequest(request, { operation: METHODS.has(common.method) ? common.method : 'unknown' });
    noteRequest(request, { operation: common.method, mchid: merchant?.mchid });
    if (!merchant || !app) {
      noteRequest(request, { diagnostics: { reason: `app_id ${common.appId} is not an app of this gateway` } });
      throw new PayCloudError('1004', `Unknown app_id ${common.appId}`);
    }
    tagRequest(request, { mchid: merchant.mchid });
    const verified = await verifyRequest(body, common.sign, appPublicKey(app.appPublicKeySpkiBase64));
    if (!verified.ok) {
      noteRequest(request, {
        diagnostics: {
          reason: 'signature does not verify with the app public key',
          expected_signing_string: verified.expectedSigningString,
          key: `app public key of app_id ${app.appId}`,
          sign_type: 'RSA2 (SHA256withRSA)',
          received_signature_prefix: signaturePrefix(common.sign),
        },
      });
      throw new PayCloudError('1002', BAD_SIGNATURE_MSG);
    }
    if (verified.normalizedNumbers) request.log.warn({ appId: app.appId }, 'paycloud signature verified only with normalized numbers');
    const lateness = timestampRefusal(common.timestampMs, deps.clock.now());
    if (lateness) {
      noteRequest(request, { diagnostics: { reason: lateness, key: `app public key of app_id ${app.appId}` } });
      throw new PayCloudError('1003', 'timestamp is outside the allowed window');
    }
    const handler = METHODS.get(common.method);
    if (!handler) throw new PayCloudError('1005', `Method ${common.method} is not supported`);
    const alias = request.params.alias;
    if (alias && ALIASES[alias] && ALIASES[alias] !== common.method) {
      request.log.info({ alias, method: common.method }, 'paycloud alias path disagrees with method; routed by method');
    }
    const merchantNo = body.fields.get('merchant_no') ?? '';
    if (merchantNo === '') throw new PayCloudError('1001', 'Missing required parameter merchant_no');
    if (merchantNo !== app.merchantNo) throw new PayCloudError('1006', `merchant_no ${merchantNo} is not bound to app_id ${app.appId}`);
    refuseAstralCharacters(body.fields);
    const data = await handler({
      deps,
      ctx: {
        store: deps.store,
        clock: deps.clock,
        ids: payCloudIds,
        protocol: 'paycloud',
        requestId: request.tradegateRequestId,
        faults: faultRequestOf(request),
      },
      merchant,
      app,
      params: new ParamReader(body.fields),
    });
    return send(reply, '0', 'Success', data);
  }

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
    app.decorateRequest('payCloudPsn', '');
    app.addHook('onRequest', (request, _reply, done) => {
      request.payCloudPsn = psnOf(request);
      done();
    });

    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof PayCloudError) return send(reply, error.code, error.message, {});
      if (error instanceof ConnectionDropFault) return dropConnection(request, reply);
      if (isCoreError(error)) {
        const mapped = payCloudErrorOf(error.code);
        return send(reply, mapped.code, mapped.message, {});
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return send(reply, '1007', 'Unsupported request', {});
      request.log.error({ err: error }, 'paycloud: unexpected error');
      return send(reply, '9999', 'System error', {});
    });

    for (const url of ENTRY_PATHS) {
      app.post(url, entry);
      app.route({
        method: ['GET', 'PUT', 'DELETE', 'PATCH'],
        url,
        handler: async () => {
          throw new PayCloudError('1007', 'Only POST is supported');
        },
      });
    }
  };
}
