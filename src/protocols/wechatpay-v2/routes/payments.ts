/** Orders that start a payment: `/pay/micropay` (code payment, §6.1) and `/pay/unifiedorder` (§6.2). */
import type { TradeType } from '../../../core/order.ts';
import { createOrder, type NewOrder } from '../../../operations/create-order.ts';
import { payByCode } from '../../../operations/pay-by-code.ts';
import { AUTH_CODE, openidFor } from '../../../sandbox/payer.ts';
import { paramError, V2ResultFail, v2PaymentFailure } from '../errors.ts';
import { fingerprintOf, OUT_TRADE_NO } from '../params.ts';
import type { V2Call, V2Route } from '../route.ts';
import { micropayView } from '../views.ts';
import { paymentHandles, storedHandle } from '../../wechat-payment-handles.ts';

type DecodedOrder = Omit<NewOrder, 'notifyUrl' | 'payerOpenid'>;

/** The fields every order-making request shares, checked in the order the docs list them. */
function decodeOrder({ caller, params, reader, signType }: V2Call, tradeType: TradeType): DecodedOrder {
  const merchant = caller.merchant;
  const global = merchant.region === 'global';
  const description = reader.text('body', true, { max: 128 });
  const outTradeNo = reader.text('out_trade_no', true, { pattern: OUT_TRADE_NO });
  const amount = reader.amount('total_fee');
  // Global merchants must name the currency (§7); Mainland defaults to CNY.
  const currency = reader.currency('fee_type', global ? null : 'CNY');
  reader.text('spbill_create_ip', true, { max: 64 });
  const attach = reader.text('attach', false, { max: 127 });
  const timeExpire = reader.time('time_expire');
  return {
    mchid: merchant.mchid,
    outTradeNo,
    tradeType,
    amount,
    currency,
    description,
    attach,
    timeExpire,
    fingerprint: fingerprintOf(params),
    extra: {
      appid: caller.appid,
      ...(caller.subAppid ? { sub_appid: caller.subAppid } : {}),
      // Payment notifications of this order are signed with the algorithm of the request that made it (§8.1).
      sign_type: signType,
    },
  };
}

const micropay: V2Route = {
  path: '/pay/micropay',
  endpoint: 'micropay',
  async handle(call) {
    const order = decodeOrder(call, 'MICROPAY');
    const authCode = call.reader.text('auth_code', true, { max: 128 });
    // The documented shape of a payment code (§6.1); a malformed one never reaches the payer.
    if (!AUTH_CODE.test(authCode)) throw v2PaymentFailure('AUTH_CODE_INVALID');
    const merchant = call.caller.merchant;
    const result = await payByCode(
      call.ctx,
      { ...order, notifyUrl: null, payerOpenid: openidFor(merchant.mchid, authCode) },
      call.deps.payer.presentCode(authCode),
      'wechatV2',
    );
    switch (result.answer.kind) {
      case 'paid':
        return micropayView(result.order, merchant);
      case 'user_paying':
        throw new V2ResultFail('USERPAYING', '需要用户输入支付密码');
      case 'failed':
        throw v2PaymentFailure(result.answer.failure);
      case 'unknown':
        throw v2PaymentFailure('SYSTEM_ERROR');
    }
  },
};

const UNIFIED_TRADE_TYPES: ReadonlySet<string> = new Set(['JSAPI', 'NATIVE', 'APP', 'MWEB']);

const unifiedorder: V2Route = {
  path: '/pay/unifiedorder',
  endpoint: 'unifiedorder',
  async handle(call) {
    const { reader, caller } = call;
    const order = decodeOrder(call, 'NATIVE');
    const notifyUrl = reader.notifyUrl(true);
    const tradeTypeText = reader.text('trade_type', true);
    if (!UNIFIED_TRADE_TYPES.has(tradeTypeText)) throw paramError('trade_type参数错误');
    const tradeType = tradeTypeText as TradeType;
    const openid = reader.text('openid', false, { max: 128 });
    const subOpenid = caller.merchant !== caller.signer ? reader.text('sub_openid', false, { max: 128 }) : null;
    if (tradeType === 'JSAPI' && !openid && !subOpenid) throw paramError('trade_type=JSAPI时（即JSAPI支付），openid为必传参数', true, 'unifiedorder');
    if (tradeType === 'NATIVE') reader.text('product_id', true, { max: 32 });
    const extra = { ...order.extra, ...paymentHandles(tradeType) };
    // A replay of the same request answers the first one's prepay_id (§6.2): read them back from the order.
    const { order: created } = await createOrder(call.ctx, { ...order, tradeType, notifyUrl, payerOpenid: openid ?? subOpenid, extra }, 'wechatV2');
    const handle = (name: 'prepayId' | 'codeUrl' | 'h5Url') => storedHandle(created.extra, name);
    return { trade_type: created.tradeType, prepay_id: handle('prepayId'), code_url: handle('codeUrl'), mweb_url: handle('h5Url') };
  },
};

export const paymentRoutes: readonly V2Route[] = [micropay, unifiedorder];
