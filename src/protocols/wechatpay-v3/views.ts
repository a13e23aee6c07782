/** Orders and refunds as APIv3 JSON: Mainland (spec §7.3, §7.6) and Global (spec §8). */
import type { Order, OrderState, Refund } from '../../core/order.ts';
import { orderSettlement, payerPart } from '../../core/settlement.ts';
import { rfc3339Cst } from '../../lib/time.ts';
import { scopeFields, type MerchantScope } from './merchant-scope.ts';

export const TRADE_STATE_DESC: Record<OrderState, string> = {
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  NOTPAY: '未支付',
  CLOSED: '已关闭',
  REVOKED: '已撤销',
  USERPAYING: '用户支付中，需要输入密码',
  PAYERROR: '支付失败',
};

function payerOf(order: Order, scope: MerchantScope): Record<string, string> {
  const openid = order.payerOpenid ?? '';
  return scope.kind === 'direct' ? { openid } : { sp_openid: openid };
}

/** The fields Mainland and Global order objects share, in wire order; `idField` names the WeChat order number. */
function orderFields(order: Order, scope: MerchantScope, idField: 'transaction_id' | 'id'): Record<string, unknown> {
  const paid = order.paidAt !== null;
  const view = scopeFields(scope); // added to, not spread: see scopeFields
  if (idField === 'id' && order.transactionId) view.id = order.transactionId;
  view.out_trade_no = order.outTradeNo;
  if (idField === 'transaction_id' && order.transactionId) view.transaction_id = order.transactionId;
  view.trade_type = order.tradeType;
  view.trade_state = order.state;
  view.trade_state_desc = TRADE_STATE_DESC[order.state];
  if (paid) view.bank_type = 'OTHERS';
  if (order.attach) view.attach = order.attach;
  if (paid) {
    view.success_time = rfc3339Cst(order.paidAt);
    view.payer = payerOf(order, scope);
  }
  return view;
}

/** The Mainland query object; payment details once the order was paid (also when later REVOKED). */
export function orderView(order: Order, scope: MerchantScope): Record<string, unknown> {
  const amount =
    order.paidAt !== null
      ? { total: order.amount, payer_total: order.amount, currency: order.currency, payer_currency: order.currency }
      : { total: order.amount, currency: order.currency };
  const view = orderFields(order, scope, 'transaction_id');
  view.amount = amount;
  return view;
}

/**
 * The Global order object: `id`, multi-currency amount with the exchange rate, as the core fixed them on the
 * order (`merchantRate` only for orders that never had a settlement).
 */
export function globalOrderView(order: Order, scope: MerchantScope, merchantRate: number): Record<string, unknown> {
  const settlement = orderSettlement(order, merchantRate);
  const amount = {
    total: order.amount,
    currency: order.currency,
    ...(order.paidAt !== null ? { payer_total: settlement.payerAmount, payer_currency: settlement.payerCurrency } : {}),
    exchange_rate: { type: 'SETTLEMENT_RATE', rate: settlement.rate },
  };
  const view = orderFields(order, scope, 'id');
  view.amount = amount;
  return view;
}

/** A Mainland merchant refund (spec §7.6). */
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

const GLOBAL_REFUND_STATUS: Record<Refund['status'], string> = { PROCESSING: 'PROCESSING', SUCCESS: 'SUCCESS', CLOSED: 'REFUNDCLOSE', ABNORMAL: 'ABNORMAL' };

/** A Global refund (spec §8). */
export function globalRefundView(refund: Refund, order: Order, scope: MerchantScope, merchantRate: number): Record<string, unknown> {
  const settlement = orderSettlement(order, merchantRate);
  const view = scopeFields(scope);
  view.id = refund.refundId;
  view.out_refund_no = refund.outRefundNo;
  view.transaction_id = order.transactionId;
  view.out_trade_no = order.outTradeNo;
  view.recv_account = '支付用户零钱';
  view.fund_source = 'UNSETTLED_FUNDS';
  view.create_time = rfc3339Cst(refund.createdAt);
  if (refund.successAt !== null) view.success_time = rfc3339Cst(refund.successAt);
  view.status = GLOBAL_REFUND_STATUS[refund.status];
  view.amount = {
    refund: refund.amount,
    total: order.amount,
    currency: refund.currency,
    payer_refund: payerPart(settlement, refund.amount, refund.currency),
    payer_currency: settlement.payerCurrency,
    exchange_rate: { type: 'SETTLEMENT_RATE', rate: settlement.rate },
  };
  return view;
}
