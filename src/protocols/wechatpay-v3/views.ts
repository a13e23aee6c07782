/** Orders and refunds as APIv3 Mainland JSON (spec §7.3, §7.6). Field order follows the official examples. */
import type { Order, OrderState, Refund } from '../../core/order.ts';
import { rfc3339Cst } from '../../lib/time.ts';

export const TRADE_STATE_DESC: Record<OrderState, string> = {
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  NOTPAY: '未支付',
  CLOSED: '已关闭',
  REVOKED: '已撤销',
  USERPAYING: '用户支付中，需要输入密码',
  PAYERROR: '支付失败',
};

export function appidOf(order: Order): string {
  return typeof order.extra.appid === 'string' ? order.extra.appid : '';
}

/** The query object; payment details appear once the order was paid (SUCCESS, REFUND, or REVOKED after payment). */
export function orderView(order: Order): Record<string, unknown> {
  const paid = order.paidAt !== null;
  const view: Record<string, unknown> = {
    appid: appidOf(order),
    mchid: order.mchid,
    out_trade_no: order.outTradeNo,
  };
  if (order.transactionId) view.transaction_id = order.transactionId;
  view.trade_type = order.tradeType;
  view.trade_state = order.state;
  view.trade_state_desc = TRADE_STATE_DESC[order.state];
  if (paid) view.bank_type = 'OTHERS';
  if (order.attach) view.attach = order.attach;
  if (paid) {
    view.success_time = rfc3339Cst(order.paidAt!);
    view.payer = { openid: order.payerOpenid ?? '' };
    view.amount = { total: order.amount, payer_total: order.amount, currency: order.currency, payer_currency: order.currency };
  } else {
    view.amount = { total: order.amount, currency: order.currency };
  }
  return view;
}

/** A merchant refund (spec §7.6). */
export function refundView(refund: Refund, order: Order): Record<string, unknown> {
  const view: Record<string, unknown> = {
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: order.transactionId,
    out_trade_no: order.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
  };
  if (refund.successAt !== null) view.success_time = rfc3339Cst(refund.successAt);
  view.create_time = rfc3339Cst(refund.createdAt);
  view.status = refund.status;
  view.funds_account = 'AVAILABLE';
  view.amount = {
    total: order.amount,
    refund: refund.amount,
    from: [],
    payer_total: order.amount,
    payer_refund: refund.amount,
    settlement_refund: refund.amount,
    settlement_total: order.amount,
    discount_refund: 0,
    currency: refund.currency,
  };
  view.promotion_detail = [];
  return view;
}
