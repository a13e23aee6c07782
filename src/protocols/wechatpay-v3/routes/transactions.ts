/** Mainland transactions, direct and partner: create, code payment, query, close, reverse (spec §7.1–§7.5, §7.7). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TradeType } from '../../../core/order.ts';
import { closeOrder } from '../../../operations/close-order.ts';
import { createOrder } from '../../../operations/create-order.ts';
import { payByCode } from '../../../operations/pay-by-code.ts';
import { queryOrder } from '../../../operations/query-order.ts';
import { reverseOrder } from '../../../operations/reverse-order.ts';
import { openidFor } from '../../../sandbox/payer.ts';
import type { GatewayDeps } from '../../../server-deps.ts';
import { BodyReader, OUT_TRADE_NO, parseJsonObject } from '../body.ts';
import { paramError, requirePost, v3PaymentFailure } from '../errors.ts';
import { effectiveMchid, scopeFields, scopeFromBody, scopeFromQuery, viewScope } from '../merchant-scope.ts';
import { createAnswer, decodeOrderRequest, jsapiOpenid, notifyUrlOf } from '../order-request.ts';
import { paymentHandles } from '../../wechat-payment-handles.ts';
import { operationContext, rawBody, sendJson } from '../request-context.ts';
import { orderView } from '../views.ts';

const CREATE_KINDS: Record<string, TradeType> = { jsapi: 'JSAPI', native: 'NATIVE', app: 'APP', h5: 'MWEB' };

export function pathOutTradeNo(value: string): string {
  if (!OUT_TRADE_NO.test(value)) throw paramError('out_trade_no', value, 'out_trade_no格式错误', 'url');
  return value;
}

const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;

export function pathTransactionId(value: string): string {
  if (!TRANSACTION_ID.test(value)) throw paramError('transaction_id', value, 'transaction_id格式错误', 'url');
  return value;
}

export function transactionRoutes(deps: GatewayDeps, mode: 'direct' | 'partner') {
  const prefix = mode === 'direct' ? '/v3/pay/transactions' : '/v3/pay/partner/transactions';
  // Close names no app (its body is the merchant only); reverse must name it (`appid` / `sp_appid`, seed 003).
  const bodyScope = async (request: FastifyRequest, needAppid: boolean) => {
    const body = new BodyReader(parseJsonObject(rawBody(request)));
    return scopeFromBody(deps, request, body, mode, needAppid);
  };

  return async function routes(app: FastifyInstance): Promise<void> {
    for (const [path, tradeType] of Object.entries(CREATE_KINDS)) {
      app.post(`${prefix}/${path}`, async (request, reply) => {
        const { scope, body, order } = await decodeOrderRequest(deps, request, tradeType, mode, 'CNY');
        const notifyUrl = notifyUrlOf(body);
        const payer = tradeType === 'JSAPI' ? jsapiOpenid(body, scope) : null;
        if (tradeType === 'MWEB') body.object('scene_info', true).object('h5_info', true).string('type', true);
        const { order: created } = await createOrder(
          operationContext(deps, request),
          { ...order, notifyUrl, payerOpenid: payer, extra: { ...order.extra, ...paymentHandles(tradeType) } },
          'wechatV3',
        );
        return sendJson(reply, 200, createAnswer(tradeType, created.extra));
      });
    }

    app.post(`${prefix}/codepay`, async (request, reply) => {
      const { scope, body, order } = await decodeOrderRequest(deps, request, 'MICROPAY', mode, 'CNY');
      const authCode = body.object('payer', true).string('auth_code', true, { max: 128 });
      body.object('scene_info', true);
      const result = await payByCode(
        operationContext(deps, request),
        { ...order, notifyUrl: null, payerOpenid: openidFor(order.mchid, authCode) },
        deps.payer.presentCode(authCode),
        'wechatV3',
      );
      const view = () => orderView(result.order, viewScope(scope, result.order));
      switch (result.answer.kind) {
        case 'paid':
          return sendJson(reply, 200, view());
        case 'user_paying':
          return sendJson(reply, 202, view());
        case 'failed':
          throw v3PaymentFailure(result.answer.failure);
        case 'unknown':
          throw v3PaymentFailure('SYSTEM_ERROR');
      }
    });

    app.get<{ Params: { id: string } }>(`${prefix}/id/:id`, async (request, reply) => {
      const scope = await scopeFromQuery(deps, request, mode);
      const order = await queryOrder(operationContext(deps, request), { mchid: effectiveMchid(scope), transactionId: pathTransactionId(request.params.id) });
      return sendJson(reply, 200, orderView(order, viewScope(scope, order)));
    });

    app.get<{ Params: { no: string } }>(`${prefix}/out-trade-no/:no`, async (request, reply) => {
      const scope = await scopeFromQuery(deps, request, mode);
      const order = await queryOrder(operationContext(deps, request), { mchid: effectiveMchid(scope), outTradeNo: pathOutTradeNo(request.params.no) });
      return sendJson(reply, 200, orderView(order, viewScope(scope, order)));
    });

    app.post<{ Params: { no: string } }>(`${prefix}/out-trade-no/:no/close`, async (request, reply) => {
      const scope = await bodyScope(request, false);
      await closeOrder(operationContext(deps, request), { mchid: effectiveMchid(scope), outTradeNo: pathOutTradeNo(request.params.no) }, 'wechatV3');
      return reply.code(204).send();
    });

    app.post<{ Params: { no: string } }>(`${prefix}/out-trade-no/:no/reverse`, async (request, reply) => {
      const scope = await bodyScope(request, true);
      const outTradeNo = pathOutTradeNo(request.params.no);
      await reverseOrder(operationContext(deps, request), { mchid: effectiveMchid(scope), outTradeNo }, 'wechatV3');
      const body = scopeFields(scope);
      body.out_trade_no = outTradeNo;
      return sendJson(reply, 200, body);
    });

    // Close and reverse are POST only: another method is 405 REQUIRE_POST_METHOD (as on Global), not a 404.
    for (const action of ['close', 'reverse']) {
      app.route({
        method: ['GET', 'PUT', 'PATCH', 'DELETE'],
        url: `${prefix}/out-trade-no/:no/${action}`,
        handler: async () => {
          throw requirePost();
        },
      });
    }
  };
}
