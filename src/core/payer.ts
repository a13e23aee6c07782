import type { PaymentFailure } from './errors.ts';

/**
 * What the payer does with a presented payment code. The sandbox decides it (test auth codes); a real
 * deployment would ask the wallet. The gateway only records and reports the outcome.
 */
export type PayerScenario =
  | { readonly kind: 'pay' }
  /** The payer must enter a password: confirms after `confirmAfterMs`, or never (then the prompt times out). */
  | { readonly kind: 'password'; readonly confirmAfterMs: number | null }
  | { readonly kind: 'fail'; readonly failure: PaymentFailure }
  /** The gateway answers SYSTEMERROR: the caller does not learn whether the payment went through. */
  | { readonly kind: 'unknown'; readonly paid: boolean };

/** The world outside the gateway that answers a code payment. */
export interface Payer {
  presentCode(authCode: string): PayerScenario;
}
