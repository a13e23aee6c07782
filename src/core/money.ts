/** Money in integer minor units of an ISO 4217 currency. Never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** ISO 4217 minor-unit exponents for the currencies tradegate accepts. */
const EXPONENTS: Readonly<Record<string, number>> = {
  CNY: 2,
  HKD: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  AUD: 2,
  CAD: 2,
  SGD: 2,
  NZD: 2,
  CHF: 2,
  MOP: 2,
  THB: 2,
  MYR: 2,
  PHP: 2,
  TWD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  AED: 2,
  SAR: 2,
  RUB: 2,
  INR: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
  IDR: 2,
  CLP: 0,
  ISK: 0,
  HUF: 2,
  KWD: 3,
  BHD: 3,
  JOD: 3,
  OMR: 3,
};

export function isKnownCurrency(code: string): boolean {
  return Object.hasOwn(EXPONENTS, code);
}

export function currencyExponent(code: string): number {
  const e = EXPONENTS[code];
  if (e === undefined) throw new RangeError(`unknown currency ${code}`);
  return e;
}

/** Largest amount accepted anywhere: keeps sums exact in a JS number and in a PostgreSQL bigint. */
export const MAX_MINOR_AMOUNT = 10_000_000_000_000;

export function isValidMinorAmount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && n <= MAX_MINOR_AMOUNT;
}

/**
 * Converts a decimal text in major units ("200.06", "1.0", "100") to minor units exactly, by string arithmetic.
 * Returns null when the text is not a plain decimal or has more fraction digits than the currency allows
 * (trailing zeros beyond the exponent are tolerated: "1.0" JPY is 1).
 */
export function decimalToMinor(text: string, currency: string): number | null {
  const m = /^(\d{1,15})(?:\.(\d{1,20}))?$/.exec(text);
  if (!m || !isKnownCurrency(currency)) return null;
  const exp = currencyExponent(currency);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > exp) return null;
  const minor = Number(m[1] + frac.padEnd(exp, '0'));
  return Number.isSafeInteger(minor) && minor <= MAX_MINOR_AMOUNT ? minor : null;
}

/** Minor units to the shortest decimal text in major units ("200.06", "1", "0.5"). */
export function minorToDecimal(amount: number, currency: string): string {
  const exp = currencyExponent(currency);
  if (exp === 0) return String(amount);
  const s = String(amount).padStart(exp + 1, '0');
  const whole = s.slice(0, s.length - exp);
  const frac = s.slice(s.length - exp).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}
