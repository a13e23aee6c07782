/**
 * The PayCloud response envelope (paycloud-openapi.md §5):
 * `{"code":"0","msg":"Success","psn":"…","data":"<business object as a JSON string>","sign":"…"}`.
 *
 * `data` is a *string* because the SDKs parse it as one; the signature covers that string exactly as the client
 * will read it back, so the text is produced once here and both signed and embedded from the same value.
 */
import type { KeyObject } from 'node:crypto';
import { minorToDecimal } from '../../core/money.ts';
import { signPayCloud } from './sign.ts';

export interface ResponseParts {
  /** `"0"` for success, otherwise a gateway error code (§6); always a JSON string. */
  code: string;
  msg: string;
  psn: string;
  /** Business fields; `{}` when there are none or on errors. Amounts as numbers from `majorAmount`. */
  data: Record<string, unknown>;
}

/** Refuses values JSON cannot carry faithfully instead of letting them turn into `null` inside a signed body. */
function strictReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`non-finite number in response data`);
  return value;
}

/**
 * Builds the exact response text, signed with the gateway key over `code`, `data`, `msg`, `psn` by the §3 rule
 * (an empty `msg`/`psn` is left out of the signing string, as the client's verifier leaves it out too).
 */
export async function buildResponse({ code, msg, psn, data }: ResponseParts, gatewayKey: KeyObject): Promise<string> {
  const dataText = JSON.stringify(data, strictReplacer);
  const sign = await signPayCloud(
    new Map([
      ['code', code],
      ['data', dataText],
      ['msg', msg],
      ['psn', psn],
    ]),
    gatewayKey,
  );
  // Literal member order matches the documented sample; clients do not depend on it, but diffs against it stay clean.
  return JSON.stringify({ code, msg, psn, data: dataText, sign });
}

/**
 * An amount in minor units as the JSON number §5 wants inside `data`: major units, no trailing zeros
 * (20006 CNY → 200.06, 100 CNY → 1). Exact: amounts have at most 14 significant digits (MAX_MINOR_AMOUNT), well
 * within the 15 a double round-trips, so JSON.stringify prints back the same digits `minorToDecimal` produced.
 */
export function majorAmount(minor: number, currency: string): number {
  return Number(minorToDecimal(minor, currency));
}
