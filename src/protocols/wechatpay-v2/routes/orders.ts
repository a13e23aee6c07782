/**
 * An existing order: `/pay/orderquery` (§6.3), `/pay/closeorder` (§6.4) and `/secapi/pay/reverse` (§6.5). The
 * outcome of close and reverse is the policy's, under rule set `wechatV2`; this file only translates.
 */
import { closeOrder } from '../../../operations/close-order.ts';
import { queryOrder } from '../../../operations/query-order.ts';
import { reverseOrder } from '../../../operations/reverse-order.ts';
import { OUT_TRADE_NO } from '../params.ts';
import { orderRefOf, rethrow, unknownTransactionAs, type V2Route } from '../route.ts';
import { orderQueryView, settlementOf } from '../views.ts';

const orderquery: V2Route = {
  path: '/pay/orderquery',
  endpoint: 'orderquery',
  async handle({ ctx, caller, reader }) {
    const order = await queryOrder(ctx, orderRefOf(reader, caller.merchant.mchid));
    return orderQueryView(order, caller.merchant);
  },
};

const closeorder: V2Route = {
  path: '/pay/closeorder',
  endpoint: 'closeorder',
  async handle({ ctx, caller, reader }) {
    const outTradeNo = reader.text('out_trade_no', true, { pattern: OUT_TRADE_NO });
    await closeOrder(ctx, { mchid: caller.merchant.mchid, outTradeNo }, 'wechatV2');
    return { result_msg: 'OK' };
  },
};

const reverse: V2Route = {
  path: '/secapi/pay/reverse',
  endpoint: 'reverse',
  async handle({ ctx, caller, reader }) {
    const ref = orderRefOf(reader, caller.merchant.mchid);
    const { order } = await reverseOrder(ctx, ref, 'wechatV2').catch(rethrow((err) => unknownTransactionAs(err, ref.byTransactionId)));
    // `recall` is added to every reverse answer by the plugin; `rate` only to Global successes (§6.5, §7).
    return { rate: caller.merchant.region === 'global' ? String(settlementOf(order, caller.merchant).rate) : undefined };
  },
};

export const orderRoutes: readonly V2Route[] = [orderquery, closeorder, reverse];
