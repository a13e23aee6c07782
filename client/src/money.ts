/** ISO 4217 minor-unit exponents of the currencies PayCloud amounts are written in (major units on the wire). */
const EXPONENT: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3 };

export const exponentOf = (currency: string) => EXPONENT[currency.toUpperCase()] ?? 2;

/** 1800 CNY minor units → "18.00"; exact, integer arithmetic only. */
export function majorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`amount must be a non-negative integer of minor units: ${minor}`);
  const e = exponentOf(currency);
  if (e === 0) return String(minor);
  const s = String(minor).padStart(e + 1, '0');
  return `${s.slice(0, -e)}.${s.slice(-e)}`;
}
