import type { Order, OrderState, TradeType } from '../../src/core/order.ts';

export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 24 * 60 * MINUTE;

/** An order fixture created at T0. */
export function anOrder(state: OrderState, tradeType: TradeType = 'NATIVE', patch: Partial<Order> = {}): Order {
  const paid = state === 'SUCCESS' || state === 'REFUND';
  return {
    id: 'o1',
    mchid: '1900000001',
    outTradeNo: 'T1',
    transactionId: null,
    tradeType,
    state,
    amount: 1000,
    currency: 'CNY',
    description: 'd',
    attach: null,
    notifyUrl: null,
    payerOpenid: null,
    fingerprint: 'f',
    protocol: 'wechatpay-v3',
    createdAt: T0,
    expiresAt: T0 + 7 * DAY,
    paidAt: paid ? T0 : null,
    payerConfirmAt: null,
    payerDeadlineAt: state === 'USERPAYING' ? T0 + 30 * SECOND : null,
    failure: null,
    refundedAmount: state === 'REFUND' ? 100 : 0,
    refundCount: state === 'REFUND' ? 1 : 0,
    settlement: { rate: 100_000_000, payerCurrency: 'CNY', payerAmount: 1000 },
    extra: {},
    ...patch,
  };
}
