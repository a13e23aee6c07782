/** Mainland direct-merchant transactions: create, code payment, query, close, reverse (spec §7.1–§7.5). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { TradeType } from '../../../core/order.ts';
import type { OrderRef } from '../../../core/ports.ts';
import { canonicalJson, sha256Hex } from '../../../lib/crypto.ts';
import { parseRfc3339 } from '../../../lib/time.ts';
import { closeOrder } from '../../../operations/close-order.ts';
import { createOrder } from '../../../operations/create-order.ts';
import { payByCode } from '../../../operations/pay-by-code.ts';
import { queryOrder } from '../../../operations/query-order.ts';
import { reverseOrder } from '../../../operations/reverse-order.ts';
import { openidFor } from '../../../sandbox/payer.ts';
import type { GatewayDeps } from '../../../server-deps.ts';
import { BodyReader, OUT_TRADE_NO, parseJsonObject } from '../body.ts';
import { paramError, V3Error, v3PaymentFailure } from '../errors.ts';
import { callerOf, operationContext, rawBody, sendJson } from '../plugin.ts';
import { orderView } from '../views.ts';

const CREATE_KINDS: Record<string, TradeType> = { jsapi: 'JSAPI', native: 'NATIVE', app: 'APP', h5: 'MWEB' };

/** The body's mchid must be the authenticated merchant, and its appid that merchant's. */
function checkIdentity(request: FastifyRequest, body: BodyReader, needAppid: boolean): { mchid: string; appid: string | null } {
  const caller = callerOf(request).merchant;
  const appid = needAppid ? body.string('appid', true, { max: 32 }) : body.string('appid', false, { max: 32 });
  const mchid = body.string('mchid', true, { max: 32 });
  if (mchid !== caller.mchid) throw new V3Error(403, { code: 'NO_AUTH', message: '商户号与请求签名的商户号不一致' });
  if (appid !== null && appid !== caller.appid) throw new V3Error(400, { code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' });
  return { mchid, appid };
}

function pathOutTradeNo(value: string): string {
  if (!OUT_TRADE_NO.test(value)) throw paramError('out_trade_no', value, 'out_trade_no格式错误', 'url');
  return value;
}

function queryMchid(request: FastifyRequest): string {
  const mchid = (request.query as Record<string, unknown>).mchid;
  if (typeof mchid !== 'string' || mchid === '') throw paramError('mchid', null, '缺少必填参数mchid', 'query');
  if (mchid !== callerOf(request).merchant.mchid) throw new V3Error(403, { code: 'NO_AUTH', message: '商户号与请求签名的商户号不一致' });
  return mchid;
}

function timeExpireOf(body: BodyReader): number | null {
  const text = body.string('time_expire', false, { max: 64 });
  if (text === null) return null;
  const ms = parseRfc3339(text);
  if (ms === null) throw paramError('/time_expire', text, 'time_expire格式错误', 'body');
  return ms;
}

/** The fields common to every create request, decoded and checked. */
function decodeOrder(request: FastifyRequest, tradeType: TradeType) {
  const json = parseJsonObject(rawBody(request));
  const body = new BodyReader(json);
  const { mchid, appid } = checkIdentity(request, body, true);
  const amount = body.object('amount', true);
  const total = amount.amount('total');
  const currency = amount.currency('currency', 'CNY');
  return {
    json,
    body,
    order: {
      mchid,
      outTradeNo: body.string('out_trade_no', true, { pattern: OUT_TRADE_NO }),
      tradeType,
      amount: total,
      currency,
      description: body.string('description', true, { max: 127 }),
      attach: body.string('attach', false, { max: 128 }),
      timeExpire: timeExpireOf(body),
      fingerprint: sha256Hex(canonicalJson(json)),
      extra: { appid },
    },
  };
}

function prepayId(): string {
  return `wx${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(10).toString('hex')}`;
}

export function transactionRoutes(deps: GatewayDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    for (const [path, tradeType] of Object.entries(CREATE_KINDS)) {
      app.post(`/v3/pay/transactions/${path}`, async (request, reply) => {
        const { body, order } = decodeOrder(request, tradeType);
        const notifyUrl = body.string('notify_url', true, { max: 256, pattern: /^https?:\/\/\S+$/ });
        const payer = tradeType === 'JSAPI' ? body.object('payer', true).string('openid', true, { max: 128 }) : null;
        if (tradeType === 'MWEB') body.object('scene_info', true).object('h5_info', true).string('type', true);
        const extra = { ...order.extra, prepayId: prepayId(), codeUrl: `weixin://wxpay/bizpayurl?pr=${randomBytes(5).toString('hex')}` };
        const { order: created } = await createOrder(operationContext(deps, request),
          { ...order, notifyUrl, payerOpenid: payer, extra }, 'wechatV3');
        const prepay = String(created.extra.prepayId);
        const answer = tradeType === 'NATIVE' ? { code_url: created.extra.codeUrl }
          : tradeType === 'MWEB' ? { h5_url: `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${prepay}&package=${Date.now() % 1e10}` }
          : { prepay_id: prepay };
        return sendJson(reply, 200, answer);
      });
    }

    app.post('/v3/pay/transactions/codepay', async (request, reply) => {
      const { body, order } = decodeOrder(request, 'MICROPAY');
      const authCode = body.object('payer', true).string('auth_code', true, { max: 128 });
      body.object('scene_info', true);
      const result = await payByCode(operationContext(deps, request),
        { ...order, notifyUrl: null, payerOpenid: openidFor(order.mchid, authCode) },
        deps.payer.presentCode(authCode), 'wechatV3');
      switch (result.answer.kind) {
        case 'paid':
          return sendJson(reply, 200, orderView(result.order));
        case 'user_paying':
          return sendJson(reply, 202, orderView(result.order));
        case 'failed':
          throw v3PaymentFailure(result.answer.failure);
        case 'unknown':
          throw v3PaymentFailure('SYSTEM_ERROR');
      }
    });

    app.get<{ Params: { id: string } }>('/v3/pay/transactions/id/:id', async (request, reply) => {
      const ref: OrderRef = { mchid: queryMchid(request), transactionId: request.params.id };
      return sendJson(reply, 200, orderView(await queryOrder(operationContext(deps, request), ref)));
    });

    app.get<{ Params: { no: string } }>('/v3/pay/transactions/out-trade-no/:no', async (request, reply) => {
      const ref: OrderRef = { mchid: queryMchid(request), outTradeNo: pathOutTradeNo(request.params.no) };
      return sendJson(reply, 200, orderView(await queryOrder(operationContext(deps, request), ref)));
    });

    app.post<{ Params: { no: string } }>('/v3/pay/transactions/out-trade-no/:no/close', async (request, reply) => {
      const body = new BodyReader(parseJsonObject(rawBody(request)));
      const { mchid } = checkIdentity(request, body, false);
      await closeOrder(operationContext(deps, request), { mchid, outTradeNo: pathOutTradeNo(request.params.no) }, 'wechatV3');
      return reply.code(204).send();
    });

    app.post<{ Params: { no: string } }>('/v3/pay/transactions/out-trade-no/:no/reverse', async (request, reply) => {
      const body = new BodyReader(parseJsonObject(rawBody(request)));
      const { mchid, appid } = checkIdentity(request, body, false);
      const outTradeNo = pathOutTradeNo(request.params.no);
      await reverseOrder(operationContext(deps, request), { mchid, outTradeNo }, 'wechatV3');
      return sendJson(reply, 200, { appid: appid ?? callerOf(request).merchant.appid, mchid, out_trade_no: outTradeNo });
    });
  };
}
