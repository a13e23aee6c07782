/** The public vocabulary of the client: dialects, credentials, clocks, results. */

export type Dialect = 'wechatpay-v3' | 'wechatpay-global' | 'wechatpay-v2' | 'paycloud';
export const DIALECTS: readonly Dialect[] = ['wechatpay-v3', 'wechatpay-global', 'wechatpay-v2', 'paycloud'];

/** What a merchant holds; tradegate's credentials JSON has exactly these names. */
export interface MerchantCredentials {
  readonly mchid: string;
  readonly appid: string;
  /** Base URL of the gateway (ends with `/`): https://api.mch.weixin.qq.com/ or a tradegate. */
  readonly baseUrl: string;
  // APIv3
  readonly merchantSerialNo?: string;
  readonly merchantPrivateKeyPem?: string;
  readonly platformSerialNo?: string;
  readonly platformCertificatePem?: string;
  readonly platformPublicKeyId?: string;
  readonly platformPublicKeyPem?: string;
  // APIv2
  readonly apiV2Key?: string;
  readonly apiV3Key?: string;
  /** APIv2 /secapi/* goes here (mutual TLS); defaults to baseUrl. */
  readonly httpsBaseUrl?: string;
  readonly apiV2ClientCertificatePem?: string;
  readonly apiV2ClientKeyPem?: string;
  /** Extra CA to trust for the gateway's server certificate (tradegate's sandbox CA). */
  readonly caCertificatePem?: string;
  // PayCloud
  readonly paycloud?: {
    readonly appId: string;
    readonly merchantNo: string;
    readonly storeNo?: string;
    readonly appPrivateKeyPkcs8Base64: string;
    readonly gatewayPublicKeySpkiBase64: string;
  };
}

/**
 * Business time. `now()` in epoch ms; `sleep(ms)` waits that long. Injectable so tests follow the gateway's
 * sandbox clock instead of waiting 15 s or 30 s in real time.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Every interval in business milliseconds. Defaults follow the dialects' documented merchant guidance. */
export interface Timing {
  /** Query interval while the payer confirms (WeChat: every 5–10 s; PayCloud: every 5 s). */
  readonly pollIntervalMs: number;
  /** Wait after a system error / timeout before the first query (WeChat and PayCloud: ~5 s). */
  readonly queryAfterErrorMs: number;
  /** Give the payer this long from the first pay call, then cancel (WeChat: 30–45 s; PayCloud: 60 s). */
  readonly payDeadlineMs: number;
  /** Reverse/void are refused until 15 s after the order was made: the first cancel waits for it. */
  readonly cancelEarliestMs: number;
  /** Back-off of repeated cancels: first, then doubled up to the cap. */
  readonly cancelBackoffMs: number;
  readonly cancelBackoffCapMs: number;
  /** Close of QR/native/JSAPI orders: not before 5 min after creation. */
  readonly closeEarliestMs: number;
  /** The caller's overall deadline for one sequence; past it the answer is `unknown` and the journal keeps the work. */
  readonly overallDeadlineMs: number;
}

export function defaultTiming(dialect: Dialect): Timing {
  return {
    pollIntervalMs: 5_000,
    queryAfterErrorMs: 5_000,
    payDeadlineMs: dialect === 'paycloud' ? 60_000 : 45_000,
    cancelEarliestMs: 15_000,
    cancelBackoffMs: 5_000,
    cancelBackoffCapMs: 60_000,
    closeEarliestMs: 5 * 60_000,
    overallDeadlineMs: 24 * 3600_000,
  };
}

export interface PayByCodeRequest {
  readonly dialect: Dialect;
  readonly out_trade_no: string;
  readonly auth_code: string;
  /** Minor units (fen, cents; yen for JPY). */
  readonly amount: number;
  /** ISO 4217; default CNY (WeChat Mainland), HKD elsewhere if you say so. */
  readonly currency?: string;
  readonly description?: string;
  readonly deadlineMs?: number;
}

export interface CancelOrderRequest {
  readonly dialect: Dialect;
  readonly out_trade_no: string;
  /** When the order was made (business time, epoch ms); lets the close wait exactly 5 min. */
  readonly created_at?: number;
  readonly deadlineMs?: number;
}

/** Whether money had moved before the order was cancelled; `unknown` when no verified answer said so either way. */
export type MoneyMoved = true | false | 'unknown';

export type Outcome =
  | { readonly status: 'paid'; readonly out_trade_no: string; readonly amount?: number; readonly transaction_id?: string }
  | {
      readonly status: 'cancelled';
      readonly out_trade_no: string;
      /** declined: the payer's wallet said no; cancelled: reverse/void/close done; closed: the gateway closed it. */
      readonly how: 'declined' | 'cancelled' | 'closed' | 'not_found';
      readonly money_moved: MoneyMoved;
      /** The refund the cancellation made, in minor units (the full amount when money had moved). */
      readonly refunded: number;
      readonly code?: string;
    }
  | { readonly status: 'unknown'; readonly out_trade_no: string; readonly reason: string };

/** Observability: every step the client takes, in order (used by the CLI's --verbose and by tests). */
export type ClientEvent =
  | { readonly type: 'journal'; readonly record: Readonly<Record<string, unknown>> }
  | { readonly type: 'answer'; readonly op: string; readonly kind: string; readonly code?: string };
