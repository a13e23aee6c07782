import type { PaymentFailure } from './errors.ts';
import type { Settlement } from './settlement.ts';

/** What can happen to an order. */
export type OrderEvent =
  /** The payer pays an unpaid order (sandbox payer, or a code payment that goes through at once). */
  | 'pay'
  /** A code payment waits for the payer's password. */
  | 'await_payer'
  /** The payer enters the password (or the simulated payer does, on time). */
  | 'confirm'
  /** The payment fails: declined, abandoned, timed out, or an unknown outcome that did not pay. */
  | 'fail'
  /** An unpaid order reaches its time_expire. */
  | 'expire'
  /** A merchant close, or a reverse of an unpaid order that is not a code payment. */
  | 'close'
  /** A reverse or void: cancelled, refunded in full when paid. */
  | 'revoke'
  /** A merchant refund (partial or full). */
  | 'refund';

export type OrderState = 'NOTPAY' | 'USERPAYING' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'REVOKED' | 'PAYERROR';

/** WeChat trade types; CODEPAY (v3) and MICROPAY (v2) are the same thing, stored as MICROPAY; H5 is MWEB. */
export type TradeType = 'MICROPAY' | 'NATIVE' | 'JSAPI' | 'APP' | 'MWEB';

/** Which wire dialect made a change: recorded in the history. */
export type Protocol = 'wechatpay-v3' | 'wechatpay-v2' | 'wechatpay-global' | 'paycloud' | 'sandbox' | 'system';

/** Times are epoch milliseconds on the merchant's business clock. */
export interface Order {
  readonly id: string;
  readonly mchid: string;
  readonly outTradeNo: string;
  readonly transactionId: string | null;
  readonly tradeType: TradeType;
  readonly state: OrderState;
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
  readonly attach: string | null;
  readonly notifyUrl: string | null;
  readonly payerOpenid: string | null;
  /** A hash of the creating request's business parameters: same key + other parameters is a conflict. */
  readonly fingerprint: string;
  readonly protocol: Protocol;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly paidAt: number | null;
  /** USERPAYING only: when the simulated payer will confirm, if it will. */
  readonly payerConfirmAt: number | null;
  /** USERPAYING only: when waiting for the payer ends in PAYERROR. */
  readonly payerDeadlineAt: number | null;
  readonly failure: PaymentFailure | null;
  readonly refundedAmount: number;
  readonly refundCount: number;
  /** What the payer pays in the payer's currency, fixed by the core when the order is made (null: not known). */
  readonly settlement: Settlement | null;
  /** Protocol-owned facts that carry no rule (prepay_id, code_url, appid, payer details). */
  readonly extra: Readonly<Record<string, unknown>>;
}

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

/** What made money go back: a merchant refund, or the full refund a reverse/void performs. */
export type RefundCause = 'refund' | 'reverse' | 'void';

export interface Refund {
  readonly refundId: string;
  readonly orderId: string;
  readonly mchid: string;
  /** null for refunds a reverse or void performed: merchants never see those in refund queries. */
  readonly outRefundNo: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly status: RefundStatus;
  readonly cause: RefundCause;
  readonly reason: string | null;
  readonly notifyUrl: string | null;
  readonly fingerprint: string;
  readonly protocol: Protocol;
  readonly createdAt: number;
  /** When PROCESSING turns SUCCESS (business clock). */
  readonly settleAt: number;
  readonly successAt: number | null;
}

/** Why an order changed, as its history records it (time alone causes `expired`, `payer_timeout`, `payer_confirmed`). */
export type HistoryCause =
  | 'created'
  | 'paid_by_code'
  | 'password_required'
  | `payment_failed:${PaymentFailure}`
  | 'payer_paid'
  | 'payer_confirmed'
  | 'payer_abandoned'
  | 'payer_timeout'
  | 'expired'
  | 'close'
  | 'reverse'
  | 'void'
  | 'refund';

/** One transition, append-only. */
export interface HistoryEntry {
  readonly orderId: string;
  readonly from: OrderState | null;
  readonly to: OrderState;
  /** The state-machine event (null for creation, and for entries written before events were recorded). */
  readonly event: OrderEvent | null;
  readonly cause: HistoryCause;
  readonly protocol: Protocol;
  readonly requestId: string | null;
  readonly at: number;
  readonly refundId: string | null;
}

export function isCodePayment(order: Pick<Order, 'tradeType'>): boolean {
  return order.tradeType === 'MICROPAY';
}
