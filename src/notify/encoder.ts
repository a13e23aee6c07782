/**
 * How one dialect turns an outbox event into an HTTP request to the merchant's notify_url, and how it reads
 * the merchant's answer. The worker (worker.ts) owns claiming, timing, retries and recording; encoders own
 * only the wire format.
 */
import type { Merchant } from '../core/merchant.ts';
import type { Order, Refund } from '../core/order.ts';

export interface NotificationSubject {
  readonly kind: 'payment' | 'refund';
  readonly order: Order;
  /** The refund, for refund notifications (settled before encoding). */
  readonly refund: Refund | null;
  /** The merchant whose key signs (the service provider for a sub-merchant's order). */
  readonly signer: Merchant;
  /** The order's own merchant. */
  readonly merchant: Merchant;
}

/** The refund a refund notification reports: worker.ts found it by the outbox row's refund id. */
export function refundOf(subject: NotificationSubject): Refund {
  if (!subject.refund) throw new Error(`refund notification of order ${subject.order.outTradeNo} has no refund`);
  return subject.refund;
}

export interface NotificationEncoder {
  /**
   * The body, built once at the first attempt and stored: every retry sends the same bytes (same event id,
   * same ciphertext, same nonce/sign where the dialect signs the body).
   */
  body(subject: NotificationSubject, wallNow: number): Promise<string>;
  /** Headers for one attempt (dialects that sign per attempt re-sign here). */
  headers(body: string, subject: NotificationSubject, wallNow: number): Promise<Record<string, string>>;
  /** Did the merchant acknowledge receipt? */
  acknowledged(status: number, responseBody: string): boolean;
  /** Delays after the 1st, 2nd … failed attempt (business time, ms). Past the last, the event has failed. */
  readonly retryDelays: readonly number[];
}

const s = 1000;
const m = 60 * s;
const h = 60 * m;

/** WeChat Pay (APIv2 and APIv3): 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h. */
export const WECHAT_RETRY_DELAYS = [15 * s, 15 * s, 30 * s, 3 * m, 10 * m, 20 * m, 30 * m, 30 * m, 30 * m, 60 * m, 3 * h, 3 * h, 3 * h, 6 * h, 6 * h];

/** PayCloud: 5s/10s/15s/30s/60s/3m/10m/15m/30m/30m/30m/3h/3h/3h. */
export const PAYCLOUD_RETRY_DELAYS = [5 * s, 10 * s, 15 * s, 30 * s, 60 * s, 3 * m, 10 * m, 15 * m, 30 * m, 30 * m, 30 * m, 3 * h, 3 * h, 3 * h];

/** Encoders by the protocol that created the order (`Order.protocol`). Registered at composition. */
export type EncoderRegistry = Readonly<Partial<Record<Order['protocol'], NotificationEncoder>>>;
