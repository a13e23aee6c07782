/** Decoding of the requests that create orders, shared by Mainland (direct, partner) and Global routes. */
import type { FastifyRequest } from 'fastify';
import { storedHandle } from '../wechat-payment-handles.ts';
import type { TradeType } from '../../core/order.ts';
import { canonicalJson, sha256Hex } from '../../lib/crypto.ts';
import { parseRfc3339 } from '../../lib/time.ts';
import type { NewOrder } from '../../operations/create-order.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { BodyReader, OUT_TRADE_NO, parseJsonObject } from './body.ts';
import { paramError } from './errors.ts';
import { effectiveMchid, scopeExtra, scopeFromBody, type MerchantScope, type ScopeMode } from './merchant-scope.ts';
import { rawBody } from './request-context.ts';

export interface DecodedOrder {
  readonly scope: MerchantScope;
  readonly body: BodyReader;
  readonly order: Omit<NewOrder, 'notifyUrl' | 'payerOpenid'>;
}

function timeExpireOf(body: BodyReader): number | null {
  const text = body.string('time_expire', false, { max: 64 });
  if (text === null) return null;
  const ms = parseRfc3339(text);
  if (ms === null) throw paramError('/time_expire', text, 'time_expire格式错误', 'body');
  return ms;
}

/** The fields every create request has, decoded, authorized and fingerprinted (JSON-semantic equality). */
export async function decodeOrderRequest(
  deps: GatewayDeps,
  request: FastifyRequest,
  tradeType: TradeType,
  mode: ScopeMode,
  defaultCurrency: string,
): Promise<DecodedOrder> {
  const json = parseJsonObject(rawBody(request));
  const body = new BodyReader(json);
  const scope = await scopeFromBody(deps, request, body, mode, true);
  const amount = body.object('amount', true);
  return {
    scope,
    body,
    order: {
      mchid: effectiveMchid(scope),
      outTradeNo: body.string('out_trade_no', true, { pattern: OUT_TRADE_NO }),
      tradeType,
      amount: amount.amount('total'),
      currency: amount.currency('currency', defaultCurrency),
      description: body.string('description', true, { max: 127 }),
      attach: body.string('attach', false, { max: 128 }),
      timeExpire: timeExpireOf(body),
      fingerprint: sha256Hex(canonicalJson(json)),
      extra: scopeExtra(scope),
    },
  };
}

/** The payer's openid of a JSAPI order: `openid` (direct) or `sp_openid`/`sub_openid` (partner). */
export function jsapiOpenid(body: BodyReader, scope: MerchantScope): string {
  const payer = body.object('payer', true);
  if (scope.kind === 'direct') return payer.string('openid', true, { max: 128 });
  const sp = payer.string('sp_openid', false, { max: 128 });
  return sp ?? payer.string('sub_openid', true, { max: 128 });
}

export const notifyUrlOf = (body: BodyReader) => body.string('notify_url', true, { max: 256, pattern: /^https?:\/\/\S+$/ });

/** The create answer by trade type: code_url, h5_url or prepay_id. */
export function createAnswer(tradeType: TradeType, extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (tradeType === 'NATIVE') return { code_url: storedHandle(extra, 'codeUrl') };
  if (tradeType === 'MWEB') return { h5_url: storedHandle(extra, 'h5Url') };
  return { prepay_id: storedHandle(extra, 'prepayId') };
}
