/**
 * Settlement: what the payer pays, in the payer's currency, for an order in the merchant's currency. The core
 * fixes it on the order when the order is made (rate, payer currency, payer amount), once, with exact integer
 * arithmetic by ISO 4217 exponent; every dialect only renders it (APIv2 `rate`/`cash_fee`, APIv3 Global
 * `exchange_rate`/`payer_total`, PayCloud `exchange_rate`/`trans_amount_cny`).
 */
import { currencyExponent } from './money.ts';

/** Rates are integers: payer-currency major units per merchant-currency major unit × 10^8 (WeChat's `rate`). */
export const RATE_SCALE = 100_000_000;
/** Payers pay in CNY (WeChat and PayCloud wallets settle the payer side in CNY). */
export const PAYER_CURRENCY = 'CNY';

export interface Settlement {
  /** Payer-currency units per order-currency unit × 10^8. */
  readonly rate: number;
  readonly payerCurrency: string;
  /** The order amount in minor units of `payerCurrency`. */
  readonly payerAmount: number;
}

/**
 * `amount` (minor units of `currency`) in minor units of `payerCurrency` at `rate` × 10^8, rounded half up.
 * BigInt: amount × rate overflows a double's exact range, and the exponents differ (JPY 0, CNY 2, KWD 3).
 */
export function convertAmount(amount: number, currency: string, payerCurrency: string, rate: number): number {
  const shift = currencyExponent(payerCurrency) - currencyExponent(currency);
  let num = BigInt(amount) * BigInt(rate);
  let den = BigInt(RATE_SCALE);
  if (shift > 0) num *= 10n ** BigInt(shift);
  if (shift < 0) den *= 10n ** BigInt(-shift);
  return Number((num * 2n + den) / (2n * den));
}

/** The rate the core fixes on a new order: 1 when the order is in the payer's currency, else the merchant's market rate. */
export function settlementRate(currency: string, merchantRate: number): number {
  return currency === PAYER_CURRENCY ? RATE_SCALE : merchantRate;
}

/** The settlement of a new order of `amount` `currency` for a merchant whose market rate is `merchantRate`. */
export function settle(amount: number, currency: string, merchantRate: number): Settlement {
  const rate = settlementRate(currency, merchantRate);
  return { rate, payerCurrency: PAYER_CURRENCY, payerAmount: convertAmount(amount, currency, PAYER_CURRENCY, rate) };
}

/** A part of the order (a refund of `amount` `currency`) in the payer's currency, at the order's fixed rate. */
export function payerPart(settlement: Settlement, amount: number, currency: string): number {
  return convertAmount(amount, currency, settlement.payerCurrency, settlement.rate);
}

/** `rate × 10^8` as decimal text: 5_120_000 → "0.0512", 100_000_000 → "1". */
export function rateText(rate: number): string {
  const s = String(rate).padStart(9, '0');
  const frac = s.slice(-8).replace(/0+$/, '');
  return frac ? `${s.slice(0, -8)}.${frac}` : s.slice(0, -8);
}

/** Decimal rate text ("0.0512") as rate × 10^8, or null when it is not a plain decimal of at most 8 places. */
export function rateFromText(text: string): number | null {
  const m = /^(\d{1,10})(?:\.(\d{1,8}))?$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * RATE_SCALE + Number((m[2] ?? '').padEnd(8, '0'));
}

/**
 * The settlement of an order stored before settlement was part of the order: the rate its dialect kept in
 * `extra` (APIv2 and APIv3 Global `rate`, a number × 10^8; PayCloud `exchangeRate` text and `transAmountCny`).
 * Those rates applied to the order's currency as it was, CNY included.
 */
export function legacySettlement(amount: number, currency: string, extra: Readonly<Record<string, unknown>>): Settlement | null {
  if (typeof extra.rate === 'number' && Number.isSafeInteger(extra.rate) && extra.rate > 0) {
    return { rate: extra.rate, payerCurrency: PAYER_CURRENCY, payerAmount: convertAmount(amount, currency, PAYER_CURRENCY, extra.rate) };
  }
  const rate = typeof extra.exchangeRate === 'string' ? rateFromText(extra.exchangeRate) : null;
  if (rate !== null && rate > 0) {
    const payerAmount = typeof extra.transAmountCny === 'number' ? extra.transAmountCny : convertAmount(amount, currency, PAYER_CURRENCY, rate);
    return { rate, payerCurrency: PAYER_CURRENCY, payerAmount };
  }
  return null;
}

/** The order's fixed settlement; for an order that never had one, what it would be at the merchant's market rate now. */
export function orderSettlement(
  order: { readonly amount: number; readonly currency: string; readonly settlement: Settlement | null },
  merchantRate: number,
): Settlement {
  return order.settlement ?? settle(order.amount, order.currency, merchantRate);
}
