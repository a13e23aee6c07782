/**
 * The closed set of business refusals the core can produce. Protocol adapters map every member to their own
 * wire code with an exhaustive switch, so adding a member fails to compile until each dialect answers it.
 */
export type CoreErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'REFUND_NOT_FOUND'
  | 'ORDER_PAID' // the order is paid; this operation needs an unpaid order
  | 'ORDER_CLOSED' // the order is CLOSED
  | 'ORDER_REVOKED' // the order is REVOKED
  | 'ORDER_NOT_PAID' // refund of an order that was never paid
  | 'ORDER_PAY_FAILED' // refund of an order whose payment failed (PAYERROR)
  | 'USER_PAYING' // the payer is still confirming (retryable)
  | 'TOO_EARLY' // inside the minimum age of the operation (retryable)
  | 'WINDOW_EXPIRED' // past the latest moment the operation is allowed
  | 'USE_REVERSE' // close of a code-payment order
  | 'USE_REFUND' // reverse/void of a paid order that only a refund can undo
  | 'PAYMENT_FAILED' // the payer-side attempt failed (order PAYERROR)
  | 'IDEMPOTENCY_CONFLICT' // the same merchant key was used with other parameters
  | 'TRADE_TYPE_CONFLICT' // the same out_trade_no exists with another trade type
  | 'REFUND_AMOUNT_EXCEEDED'
  | 'REFUND_LIMIT_EXCEEDED'
  | 'REFUND_WINDOW_EXPIRED'
  | 'AMOUNT_MISMATCH' // the stated order total differs from the order's
  | 'CURRENCY_MISMATCH'
  | 'MERCHANT_NOT_FOUND'
  | 'NO_AUTH' // the caller may not act for that merchant
  | 'SYSTEM_ERROR'; // an injected fault: the outcome is unknown to the caller

/** Payer-side failure reasons, chosen by the payer (sandbox) and reported by the protocols in their words. */
export type PaymentFailure = 'NOT_ENOUGH' | 'AUTH_CODE_EXPIRED' | 'AUTH_CODE_INVALID' | 'PAYER_ABANDONED' | 'SYSTEM_ERROR';

/** A business refusal: a value, not a wire message. */
export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string = code,
    readonly failure?: PaymentFailure,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export function isCoreError(e: unknown): e is CoreError {
  return e instanceof CoreError;
}

/** Refusals after which the caller should repeat the same operation later. */
export function isRetryable(code: CoreErrorCode): boolean {
  return code === 'USER_PAYING' || code === 'TOO_EARLY' || code === 'SYSTEM_ERROR';
}
