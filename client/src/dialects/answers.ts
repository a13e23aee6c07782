/**
 * What one call told the client, reduced to what the safe-cancel sequence needs. Each dialect maps its wire
 * answers here exhaustively; anything not verified (bad or missing signature, unsigned error, no answer) is
 * `unknown` / `retry` — never a final result.
 */
import type { Dialect, MerchantCredentials } from '../types.ts';

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'USERPAYING' | 'PAYERROR' | 'CLOSED' | 'REVOKED';

export type PayAnswer =
  | { readonly kind: 'paid'; readonly transactionId?: string }
  | { readonly kind: 'paying' }
  | { readonly kind: 'declined'; readonly code: string }
  | { readonly kind: 'unknown'; readonly code: string };

export type QueryAnswer =
  /** `paid`: the view shows the order had been paid (true), not (false), or does not say (undefined). */
  | { readonly kind: 'state'; readonly state: TradeState; readonly paid: boolean | undefined; readonly transactionId?: string }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'unknown'; readonly code: string };

export type CancelAnswer =
  | { readonly kind: 'done' }
  /** The gateway says: try again later (too early, payer confirming, system error), or there was no verified answer. */
  | { readonly kind: 'retry'; readonly code: string }
  /** A final refusal (window expired, paid order that must be refunded instead, …): query to learn the state. */
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'not_found' };

export interface PayParams {
  readonly outTradeNo: string;
  readonly authCode: string;
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
}

/** One dialect's wire protocol. Methods never throw for gateway or network trouble: they answer `unknown`/`retry`. */
export interface DialectClient {
  readonly dialect: Dialect;
  pay(p: PayParams): Promise<PayAnswer>;
  query(outTradeNo: string): Promise<QueryAnswer>;
  /** Code-pay cancellation: APIv3/APIv2 reverse, PayCloud void. */
  reverse(outTradeNo: string): Promise<CancelAnswer>;
  /** QR/native/JSAPI cancellation: WeChat close, PayCloud void. */
  close(outTradeNo: string): Promise<CancelAnswer>;
}

export interface DialectOptions {
  readonly credentials: MerchantCredentials;
  readonly requestTimeoutMs: number;
  /** Wall clock for signature timestamps (never the business clock). */
  readonly wallNow: () => number;
}

/** A parsed JSON answer: its fields are what the gateway sent, so each is checked where it is read. */
export type JsonFields = { readonly [field: string]: unknown };
/** The object a parsed answer is; anything else (null, a number, a string) has no fields. */
export const fieldsOf = (v: unknown): JsonFields => (typeof v === 'object' && v !== null ? (v as JsonFields) : {});
export const stringOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const short = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 200);
