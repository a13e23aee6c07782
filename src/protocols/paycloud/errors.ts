/**
 * PayCloud gateway answers other than success (paycloud-openapi.md §6): an envelope `code` ≠ "0" and an English
 * `msg`, always HTTP 200 and signed. Envelope codes (1xxx) come from the plugin; business codes (2xxx) from the
 * exhaustive map of core refusals below.
 */
import type { CoreErrorCode, PaymentFailure } from '../../core/errors.ts';

export type PayCloudCode =
  | '1001'
  | '1002'
  | '1003'
  | '1004'
  | '1005'
  | '1006'
  | '1007'
  | '2001'
  | '2002'
  | '2003'
  | '2004'
  | '2005'
  | '2006'
  | '2007'
  | '2008'
  | '2009'
  | '2010'
  | '2011'
  | '9999';

/** A refusal in PayCloud words. Thrown by decoders and methods, rendered by the plugin's error handler. */
export class PayCloudError extends Error {
  constructor(
    readonly code: PayCloudCode,
    message: string,
  ) {
    super(message);
    this.name = 'PayCloudError';
  }
}

export const invalidParameter = (message: string) => new PayCloudError('1001', message);

const e = (code: PayCloudCode, message: string) => new PayCloudError(code, message);

/** Every core refusal in PayCloud words. Exhaustive: a new core error does not compile until it is answered here. */
export function payCloudErrorOf(code: CoreErrorCode): PayCloudError {
  switch (code) {
    case 'ORDER_NOT_FOUND':
      return e('2001', 'Order not found');
    case 'REFUND_NOT_FOUND':
      return e('2001', 'Refund not found');
    case 'ORDER_PAID':
      return e('2003', 'Order is already paid');
    case 'ORDER_CLOSED':
      return e('2011', 'Order is closed');
    case 'ORDER_REVOKED':
      return e('2011', 'Order is cancelled');
    case 'ORDER_NOT_PAID':
      return e('2003', 'Order is not paid');
    case 'ORDER_PAY_FAILED':
      // §8.5: an original of trans_status 1 (failed) or 3 (cancelled) is refused with 2011, 9/0 with 2003.
      return e('2011', 'The payment of this order failed');
    case 'USER_PAYING':
      return e('2007', 'The payer is still paying, retry later');
    case 'TOO_EARLY':
      return e('2005', 'An order can be voided 15 seconds after its creation at the earliest, retry later');
    case 'WINDOW_EXPIRED':
      return e('2006', 'An order can be voided within 1 day of its creation only');
    case 'USE_REVERSE':
      return e('2003', 'Operation not allowed for a code payment');
    case 'USE_REFUND':
      return e('2004', 'The order is paid and cannot be voided, use order.refund.submit');
    case 'PAYMENT_FAILED':
      return e('2003', 'The payment of this order failed');
    case 'IDEMPOTENCY_CONFLICT':
      return e('2002', 'merchant_order_no was already used with other parameters');
    case 'TRADE_TYPE_CONFLICT':
      return e('2002', 'merchant_order_no was already used for another kind of order');
    case 'REFUND_AMOUNT_EXCEEDED':
      return e('2008', 'Refund amount exceeds the refundable amount');
    case 'REFUND_LIMIT_EXCEEDED':
      return e('2009', 'The order has reached its maximum number of refunds');
    case 'REFUND_WINDOW_EXPIRED':
      return e('2010', 'The order is past its refund period');
    case 'AMOUNT_MISMATCH':
      return e('1001', 'Amount does not match the original order');
    case 'CURRENCY_MISMATCH':
      return e('1001', 'price_currency does not match the original order');
    case 'MERCHANT_NOT_FOUND':
      return e('1006', 'Merchant not found');
    case 'NO_AUTH':
      return e('1006', 'The app is not authorized for this merchant');
    case 'SYSTEM_ERROR':
      return e('9999', 'System error');
  }
}

/** A failed payment's `trans_error_code` / `trans_error_msg` (§8.1, P codes). */
export function paymentErrorOf(failure: PaymentFailure): { code: string; msg: string } {
  switch (failure) {
    case 'NOT_ENOUGH':
      return { code: 'INSUFFICIENT_BALANCE', msg: 'Insufficient balance' };
    case 'AUTH_CODE_EXPIRED':
      return { code: 'AUTH_CODE_EXPIRED', msg: 'The payment code has expired' };
    case 'AUTH_CODE_INVALID':
      return { code: 'AUTH_CODE_INVALID', msg: 'The payment code is invalid' };
    case 'PAYER_ABANDONED':
      return { code: 'USER_CANCELLED', msg: 'The payer cancelled or did not confirm the payment' };
    case 'SYSTEM_ERROR':
      return { code: 'SYSTEM_ERROR', msg: 'System error' };
  }
}
