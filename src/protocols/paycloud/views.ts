/**
 * Orders and refunds in PayCloud words (paycloud-openapi.md §5, §7, §8): the `data` objects of the methods and
 * the facts notifications repeat. Amounts are JSON numbers in major units (`majorAmount`), times UTC strings.
 */
import type { Order, OrderState, Refund, RefundStatus } from '../../core/order.ts';
import { rateText } from '../../core/settlement.ts';
import { majorAmount } from './envelope.ts';
import { paymentErrorOf } from './errors.ts';

export type TransStatus = 9 | 0 | 1 | 2 | 3;

/** §7: the payment record stays 2 after partial refunds (refunds are records of their own). */
export function transStatusOf(state: OrderState): TransStatus {
  switch (state) {
    case 'NOTPAY':
      return 9;
    case 'USERPAYING':
      return 0;
    case 'SUCCESS':
    case 'REFUND':
      return 2;
    case 'CLOSED':
    case 'PAYERROR':
      return 1;
    case 'REVOKED':
      return 3;
  }
}

export function refundStatusOf(status: RefundStatus): TransStatus {
  switch (status) {
    case 'PROCESSING':
      return 0;
    case 'SUCCESS':
      return 2;
    case 'CLOSED':
    case 'ABNORMAL':
      return 1;
  }
}

export const TRANS_TYPE_PURCHASE = 1;
export const TRANS_TYPE_REFUND = 3;

/** `YYYY-MM-DD HH:mm:ss` in UTC (§5 times). */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** What a PayCloud order keeps in `Order.extra`, written once at creation. */
export interface PayCloudOrderExtra {
  readonly appId: string;
  readonly payMethodId: string;
  readonly payScenario: string;
  readonly storeNo: string | null;
  readonly terminalSn: string | null;
  readonly qrcodeUrl: string | null;
  readonly payUrl: string | null;
  readonly payChannelTransNo: string;
}

export function extraOf(order: Order): Partial<PayCloudOrderExtra> {
  return order.extra as Partial<PayCloudOrderExtra>;
}

/** The facts of trans_status 2 and 1 that every payment view carries (§8.1, §8.3). */
function outcomeFacts(order: Order): Record<string, unknown> {
  const x = extraOf(order);
  const status = transStatusOf(order.state);
  if (status === 2 && order.paidAt !== null) {
    const facts: Record<string, unknown> = {
      pay_channel_trans_no: x.payChannelTransNo ?? '',
      paid_amount: majorAmount(order.amount, order.currency),
      trans_end_time: utcTime(order.paidAt),
    };
    if (order.payerOpenid) facts.pay_user_account_id = order.payerOpenid;
    // The rate and payer amount the core fixed when the order was made (§11).
    if (order.settlement) {
      facts.exchange_rate = rateText(order.settlement.rate);
      facts.trans_amount_cny = majorAmount(order.settlement.payerAmount, order.settlement.payerCurrency);
    }
    return facts;
  }
  if (status === 1) {
    const error = order.failure ? paymentErrorOf(order.failure) : { code: 'ORDER_CLOSED', msg: 'The order was closed unpaid' };
    return { trans_error_code: error.code, trans_error_msg: error.msg };
  }
  return {};
}

/** `data` of bscanc.pay.submit (§8.1). */
export function codePaymentData(order: Order): Record<string, unknown> {
  return {
    trans_no: order.transactionId,
    merchant_order_no: order.outTradeNo,
    trans_status: transStatusOf(order.state),
    trans_amount: majorAmount(order.amount, order.currency),
    price_currency: order.currency,
    ...outcomeFacts(order),
  };
}

/** `data` of cscanb.pay.getqrcode and pay.unifiedorder (§8.2, §8.7): the link to pay, and the order's status. */
export function preOrderData(order: Order): Record<string, unknown> {
  const x = extraOf(order);
  return {
    trans_no: order.transactionId,
    merchant_order_no: order.outTradeNo,
    ...(x.qrcodeUrl ? { qrcode_url: x.qrcodeUrl } : {}),
    ...(x.payUrl ? { pay_url: x.payUrl } : {}),
    trans_amount: majorAmount(order.amount, order.currency),
    price_currency: order.currency,
    trans_status: transStatusOf(order.state),
  };
}

/** `data` of order.query (§8.3); notifications carry the same facts (§10). */
export function orderData(order: Order): Record<string, unknown> {
  const x = extraOf(order);
  const data: Record<string, unknown> = {
    trans_no: order.transactionId,
    trans_type: TRANS_TYPE_PURCHASE,
    trans_status: transStatusOf(order.state),
    merchant_order_no: order.outTradeNo,
    price_currency: order.currency,
    order_amount: majorAmount(order.amount, order.currency),
    trans_amount: majorAmount(order.amount, order.currency),
  };
  if (order.attach) data.attach = order.attach;
  if (x.storeNo) data.store_no = x.storeNo;
  if (x.terminalSn) data.terminal_sn = x.terminalSn;
  data.pay_scenario = x.payScenario ?? '';
  data.pay_method_id = x.payMethodId ?? '';
  return { ...data, ...outcomeFacts(order) };
}

/** `data` of order.refund.submit and order.refund.query (§8.5, §8.6); `refund.outRefundNo` is the refund's number. */
export function refundData(refund: Refund, order: Order): Record<string, unknown> {
  const data: Record<string, unknown> = {
    trans_no: refund.refundId,
    merchant_order_no: refund.outRefundNo,
    orig_trans_no: order.transactionId,
    orig_merchant_order_no: order.outTradeNo,
    trans_type: TRANS_TYPE_REFUND,
    trans_status: refundStatusOf(refund.status),
    price_currency: refund.currency,
    order_amount: majorAmount(order.amount, order.currency),
    trans_amount: majorAmount(refund.amount, refund.currency),
  };
  if (refund.successAt !== null) data.trans_end_time = utcTime(refund.successAt);
  return data;
}
