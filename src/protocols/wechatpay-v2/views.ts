/**
 * Orders and refunds in APIv2 fields (wechatpay-v2.md §6, §7). Amounts are numbers so the encoder writes them
 * bare; strings go into CDATA. Absent values are left undefined and never emitted.
 */
import type { Merchant } from '../../core/merchant.ts';
import type { Order, OrderState, Refund, RefundStatus } from '../../core/order.ts';
import { orderSettlement, payerPart, type Settlement } from '../../core/settlement.ts';
import { compactCst, spacedCst } from '../../lib/time.ts';

export type V2Fields = Record<string, string | number | undefined>;

export const TRADE_STATE_DESC: Record<OrderState, string> = {
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  NOTPAY: '未支付',
  CLOSED: '已关闭',
  REVOKED: '已撤销',
  USERPAYING: '需要用户输入支付密码',
  PAYERROR: '支付失败，请撤销订单',
};

/** The order's settlement as the core fixed it (the merchant's market rate only for orders that never had one). */
export function settlementOf(order: Order, merchant: Merchant): Settlement {
  return orderSettlement(order, merchant.settings.exchangeRate);
}

/** `fee_type`, `total_fee`, `cash_fee` (+ `cash_fee_type`, `rate` for Global merchants, §7). */
export function moneyFields(order: Order, merchant: Merchant, withRate: boolean): V2Fields {
  if (merchant.region !== 'global') return { fee_type: order.currency, total_fee: order.amount, cash_fee: order.amount };
  const settlement = settlementOf(order, merchant);
  return {
    fee_type: order.currency,
    total_fee: order.amount,
    cash_fee_type: settlement.payerCurrency,
    cash_fee: settlement.payerAmount,
    rate: withRate ? String(settlement.rate) : undefined,
  };
}

function paid(order: Order): boolean {
  return order.state === 'SUCCESS' || order.state === 'REFUND';
}

/** The payer facts of a paid order (micropay success, orderquery of SUCCESS/REFUND). */
function payerFields(order: Order): V2Fields {
  return {
    openid: order.payerOpenid ?? undefined,
    is_subscribe: 'N',
    bank_type: 'OTHERS',
  };
}

/** §6.1 micropay success. */
export function micropayView(order: Order, merchant: Merchant): V2Fields {
  const money = moneyFields(order, merchant, true);
  return {
    ...payerFields(order),
    trade_type: order.tradeType,
    fee_type: money.fee_type,
    total_fee: money.total_fee,
    cash_fee_type: money.cash_fee_type,
    cash_fee: money.cash_fee,
    transaction_id: order.transactionId ?? undefined,
    out_trade_no: order.outTradeNo,
    attach: order.attach ?? undefined,
    time_end: order.paidAt === null ? undefined : compactCst(order.paidAt),
    rate: money.rate,
  };
}

/** §6.3 orderquery: payment details only once paid (SUCCESS, REFUND); Global `rate` on those too. */
export function orderQueryView(order: Order, merchant: Merchant): V2Fields {
  const isPaid = paid(order);
  const money = moneyFields(order, merchant, isPaid);
  return {
    ...(isPaid ? payerFields(order) : {}),
    trade_type: order.tradeType,
    trade_state: order.state,
    trade_state_desc: TRADE_STATE_DESC[order.state],
    transaction_id: order.transactionId ?? undefined,
    out_trade_no: order.outTradeNo,
    attach: order.attach ?? undefined,
    fee_type: money.fee_type,
    total_fee: money.total_fee,
    ...(isPaid ? { cash_fee_type: money.cash_fee_type, cash_fee: money.cash_fee, time_end: compactCst(order.paidAt ?? order.createdAt) } : {}),
    rate: money.rate,
  };
}

/** §6.6 refund answer. No coupons exist in the sandbox, so settlement amounts equal the plain ones. */
export function refundView(refund: Refund, order: Order, merchant: Merchant): V2Fields {
  const money = moneyFields(order, merchant, false);
  const global = merchant.region === 'global';
  return {
    transaction_id: order.transactionId ?? undefined,
    out_trade_no: order.outTradeNo,
    out_refund_no: refund.outRefundNo ?? undefined,
    refund_id: refund.refundId,
    refund_channel: 'ORIGINAL',
    refund_fee: refund.amount,
    settlement_refund_fee: refund.amount,
    total_fee: order.amount,
    settlement_total_fee: order.amount,
    fee_type: order.currency,
    cash_fee_type: money.cash_fee_type,
    cash_fee: money.cash_fee,
    cash_refund_fee: global ? payerPart(settlementOf(order, merchant), refund.amount, refund.currency) : refund.amount,
  };
}

const REFUND_STATUS: Record<RefundStatus, string> = {
  PROCESSING: 'PROCESSING',
  SUCCESS: 'SUCCESS',
  CLOSED: 'REFUNDCLOSE',
  ABNORMAL: 'CHANGE',
};

/** §6.7 refundquery: order facts, then the `_$n` fields of each listed refund (0-based). */
export function refundQueryView(order: Order, merchant: Merchant, refunds: readonly Refund[], totalCount: number | null): V2Fields {
  const money = moneyFields(order, merchant, false);
  const fields: V2Fields = {
    transaction_id: order.transactionId ?? undefined,
    out_trade_no: order.outTradeNo,
    total_fee: order.amount,
    fee_type: order.currency,
    cash_fee_type: money.cash_fee_type,
    cash_fee: money.cash_fee,
    total_refund_count: totalCount ?? undefined,
    refund_count: refunds.length,
  };
  refunds.forEach((r, n) => {
    fields[`out_refund_no_${n}`] = r.outRefundNo ?? undefined;
    fields[`refund_id_${n}`] = r.refundId;
    fields[`refund_channel_${n}`] = 'ORIGINAL';
    fields[`refund_fee_${n}`] = r.amount;
    fields[`settlement_refund_fee_${n}`] = r.amount;
    fields[`refund_status_${n}`] = REFUND_STATUS[r.status];
    fields[`refund_account_${n}`] = 'REFUND_SOURCE_UNSETTLED_FUNDS';
    fields[`refund_recv_accout_${n}`] = '支付用户的零钱';
    fields[`refund_success_time_${n}`] = r.successAt === null ? undefined : spacedCst(r.successAt);
  });
  return fields;
}
