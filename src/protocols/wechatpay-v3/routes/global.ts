/**
 * WeChat Pay Global APIv3 (`/v3/global/…`) and the older HK wallet paths (`/hk/v3/…`), common and
 * institutional mode (spec §8–§9). Same core operations; Global rule set and the Global pages' error spellings.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TradeType } from '../../../core/order.ts';
import type { OrderRef } from '../../../core/ports.ts';
import { canonicalJson, sha256Hex } from '../../../lib/crypto.ts';
import { closeOrder } from '../../../operations/close-order.ts';
import type { OperationContext } from '../../../operations/context.ts';
import { createOrder } from '../../../operations/create-order.ts';
import { payByCode } from '../../../operations/pay-by-code.ts';
import { queryOrder } from '../../../operations/query-order.ts';
import { queryRefund } from '../../../operations/query-refund.ts';
import { refundOrder } from '../../../operations/refund-order.ts';
import { reverseOrder } from '../../../operations/reverse-order.ts';
import { openidFor } from '../../../sandbox/payer.ts';
import type { GatewayDeps } from '../../../server-deps.ts';
import { BodyReader, OUT_REFUND_NO, OUT_TRADE_NO, parseJsonObject } from '../body.ts';
import { paramError, requirePost, v3PaymentFailure } from '../errors.ts';
import { effectiveMchid, scopeFromBody, scopeFromQuery, viewScope, type MerchantScope } from '../merchant-scope.ts';
import { createAnswer, decodeOrderRequest, jsapiOpenid, notifyUrlOf } from '../order-request.ts';
import { paymentHandles } from '../../wechat-payment-handles.ts';
import { callerOf, rawBody, sendJson, storeFor } from '../request-context.ts';
import { globalOrderView, globalRefundView } from '../views.ts';
import { pathOutTradeNo, pathTransactionId } from './transactions.ts';
import { faultRequestOf } from '../../fault-transport.ts';

const CREATE_KINDS: Record<string, TradeType> = { native: 'NATIVE', jsapi: 'JSAPI', app: 'APP', mweb: 'MWEB' };
const TXN = '/v3/global/transactions';
const MICROPAY = '/v3/global/micropay/transactions';
const HK = '/hk/v3/transactions';

/** Each route names the order (or refund) one way: `…/id/:id` or `…/out-trade-no/:no`. */
type IdParams = { Params: { id: string } | { no: string } };

function context(deps: GatewayDeps, request: FastifyRequest): OperationContext {
  return {
    store: storeFor(deps, request),
    clock: deps.clock,
    ids: deps.ids,
    protocol: 'wechatpay-global',
    requestId: request.tradegateRequestId,
    faults: faultRequestOf(request),
  };
}

/** `id/{transaction_id}` or `out-trade-no/{out_trade_no}`: either names the order. */
function refOf(scope: MerchantScope, params: IdParams['Params']): OrderRef {
  const mchid = effectiveMchid(scope);
  return 'id' in params ? { mchid, transactionId: pathTransactionId(params.id) } : { mchid, outTradeNo: pathOutTradeNo(params.no) };
}

const byId = (prefix: string, suffix = '') => [`${prefix}/id/:id${suffix}`, `${prefix}/out-trade-no/:no${suffix}`];

export function globalRoutes(deps: GatewayDeps) {
  // The merchant's market rate: only for orders made before settlement was fixed on the order.
  const rateOf = (request: FastifyRequest) => callerOf(request).merchant.settings.exchangeRate;
  const currencyOf = (request: FastifyRequest) => callerOf(request).merchant.settings.currency;
  const bodyScope = (request: FastifyRequest) => scopeFromBody(deps, request, new BodyReader(parseJsonObject(rawBody(request))), 'either', false);

  return async function routes(app: FastifyInstance): Promise<void> {
    const family = { config: { family: 'global' } };
    const closeFamily = { config: { family: 'global-close' } };

    for (const [path, tradeType] of Object.entries(CREATE_KINDS)) {
      app.post(`${TXN}/${path}`, family, async (request, reply) => {
        const { scope, body, order } = await decodeOrderRequest(deps, request, tradeType, 'either', currencyOf(request));
        const notifyUrl = notifyUrlOf(body);
        const payer = tradeType === 'JSAPI' ? jsapiOpenid(body, scope) : null;
        const extra = { ...order.extra, ...paymentHandles(tradeType) };
        const { order: created } = await createOrder(context(deps, request), { ...order, notifyUrl, payerOpenid: payer, extra }, 'wechatGlobal');
        return sendJson(reply, 200, createAnswer(tradeType, created.extra));
      });
    }

    for (const url of [`${MICROPAY}/pay`, `${HK}/micropay`]) {
      app.post(url, family, async (request, reply) => {
        const { scope, body, order } = await decodeOrderRequest(deps, request, 'MICROPAY', 'either', currencyOf(request));
        const authCode = body.object('payer', true).string('auth_code', true, { max: 128 });
        const result = await payByCode(
          context(deps, request),
          { ...order, notifyUrl: null, payerOpenid: openidFor(order.mchid, authCode) },
          deps.payer.presentCode(authCode),
          'wechatGlobal',
        );
        const view = () => globalOrderView(result.order, viewScope(scope, result.order), rateOf(request));
        if (result.answer.kind === 'failed') throw v3PaymentFailure(result.answer.failure);
        if (result.answer.kind === 'unknown') throw v3PaymentFailure('SYSTEM_ERROR');
        return sendJson(reply, result.answer.kind === 'paid' ? 200 : 202, view());
      });
    }

    for (const url of [...byId(TXN), ...byId(MICROPAY)]) {
      app.get<IdParams>(url, family, async (request, reply) => {
        const scope = await scopeFromQuery(deps, request, 'either');
        const order = await queryOrder(context(deps, request), refOf(scope, request.params));
        return sendJson(reply, 200, globalOrderView(order, viewScope(scope, order), rateOf(request)));
      });
    }

    for (const url of [...byId(TXN, '/close'), ...byId(HK, '/close')]) {
      app.post<IdParams>(url, closeFamily, async (request, reply) => {
        const scope = await bodyScope(request);
        await closeOrder(context(deps, request), refOf(scope, request.params), 'wechatGlobal');
        return reply.code(204).send();
      });
      app.route({
        method: ['GET', 'PUT', 'PATCH', 'DELETE'],
        url,
        ...closeFamily,
        handler: async () => {
          throw requirePost();
        },
      });
    }

    for (const url of [...byId(MICROPAY, '/reverse'), ...byId(HK, '/reverse')]) {
      app.post<IdParams>(url, family, async (request, reply) => {
        const scope = await bodyScope(request);
        await reverseOrder(context(deps, request), refOf(scope, request.params), 'wechatGlobal');
        return reply.code(204).send();
      });
    }

    for (const url of ['/v3/global/refunds', '/hk/v3/refunds']) {
      app.post(url, family, async (request, reply) => {
        const json = parseJsonObject(rawBody(request));
        const body = new BodyReader(json);
        const scope = await scopeFromBody(deps, request, body, 'either', false);
        const transactionId = body.string('transaction_id', false, { max: 32 });
        const outTradeNo = body.string('out_trade_no', false, { pattern: OUT_TRADE_NO });
        const named = transactionId ? { id: transactionId } : outTradeNo ? { no: outTradeNo } : null;
        if (!named) throw paramError('/out_trade_no', null, 'transaction_id和out_trade_no必须二选一', 'body');
        const amount = body.object('amount', true);
        const result = await refundOrder(
          context(deps, request),
          {
            order: refOf(scope, named),
            outRefundNo: body.string('out_refund_no', true, { pattern: OUT_REFUND_NO }),
            amount: amount.amount('refund'),
            statedTotal: amount.amount('total'),
            currency: amount.currency('currency', currencyOf(request)),
            reason: body.string('reason', false, { max: 80 }),
            notifyUrl: body.string('notify_url', false, { max: 256, pattern: /^https?:\/\/\S+$/ }),
            fingerprint: sha256Hex(canonicalJson(json)),
          },
          'wechatGlobal',
        );
        return sendJson(reply, 200, globalRefundView(result.refund, result.order, scope, rateOf(request)));
      });
    }

    for (const url of ['/v3/global/refunds/id/:id', '/v3/global/refunds/out-refund-no/:no']) {
      app.get<IdParams>(url, family, async (request, reply) => {
        const scope = await scopeFromQuery(deps, request, 'either');
        const ref = 'id' in request.params ? { refundId: request.params.id } : { outRefundNo: request.params.no };
        const view = await queryRefund(context(deps, request), effectiveMchid(scope), ref);
        return sendJson(reply, 200, globalRefundView(view.refund, view.order, scope, rateOf(request)));
      });
    }
  };
}
