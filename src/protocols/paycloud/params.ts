/**
 * Business parameters of a PayCloud request, read and checked explicitly (paycloud-openapi.md §8): every failure is
 * 1001 naming the field. Values are the text the client signed, so a JSON number `1.0` arrives as "1.0".
 */
import { canonicalJson, sha256Hex } from '../../lib/crypto.ts';
import { decimalToMinor, isKnownCurrency, isValidMinorAmount } from '../../core/money.ts';
import { RULES } from '../../core/rules.ts';
import { invalidParameter } from './errors.ts';
import { ENVELOPE_FIELDS } from './request.ts';

interface StringRule {
  readonly max?: number;
  readonly pattern?: RegExp;
}

/** merchant_order_no (payments and refunds): characters that survive a URL path and a form unescaped. */
export const MERCHANT_ORDER_NO = /^[0-9A-Za-z_\-.|*@]{1,64}$/;
export const TRANS_NO = /^\d{1,32}$/;
const URL = /^https?:\/\/\S+$/;

/** The amount fields: `trans_amount` (current SDK) wins over `order_amount` (older SDKs) (§8). */
const AMOUNT_FIELDS = ['trans_amount', 'order_amount'] as const;

/** Seconds an order may stay unpaid: the rule set's longest lifetime (30 days); longer is refused, never capped. */
const MAX_EXPIRES_SECONDS = RULES.paycloud.maxOrderLifetime / 1000;

export class ParamReader {
  constructor(readonly fields: ReadonlyMap<string, string>) {}

  string(name: string, required: true, rule?: StringRule): string;
  string(name: string, required: false, rule?: StringRule): string | null;
  string(name: string, required: boolean, rule: StringRule = {}): string | null {
    const v = this.fields.get(name);
    if (v === undefined || v === '') {
      if (required) throw invalidParameter(`Missing required parameter ${name}`);
      return null;
    }
    if (rule.max !== undefined && [...v].length > rule.max) throw invalidParameter(`${name} is longer than ${rule.max} characters`);
    if (rule.pattern && !rule.pattern.test(v)) throw invalidParameter(`${name} has an invalid format`);
    return v;
  }

  url(name: string): string | null {
    return this.string(name, false, { max: 512, pattern: URL });
  }

  /** An ISO 4217 code the gateway knows (§8: unknown currency → 1001). */
  currency(name: string): string {
    const v = this.string(name, true, { max: 3 });
    if (!isKnownCurrency(v)) throw invalidParameter(`${name} ${v} is not a supported currency`);
    return v;
  }

  /** The amount in minor units of `currency`, converted from its decimal text exactly (never through a float). */
  amount(currency: string): number {
    const name = AMOUNT_FIELDS.find((n) => (this.fields.get(n) ?? '') !== '');
    const text = name ? this.fields.get(name) : undefined;
    if (!name || !text) throw invalidParameter('Missing required parameter trans_amount');
    const minor = decimalToMinor(text, currency);
    if (minor === null) throw invalidParameter(`${name} is not a decimal amount with at most the minor units of ${currency}`);
    if (!isValidMinorAmount(minor)) throw invalidParameter(`${name} must be greater than 0`);
    return minor;
  }

  /** `expires` in seconds, or null when absent (the rule set's default lifetime applies). */
  expiresSeconds(): number | null {
    const v = this.string('expires', false, { max: 10 });
    if (v === null) return null;
    if (!/^[1-9]\d*$/.test(v) || Number(v) > MAX_EXPIRES_SECONDS)
      throw invalidParameter(`expires must be a positive number of seconds, at most ${MAX_EXPIRES_SECONDS}`);
    return Number(v);
  }

  /**
   * The request's business parameters as a hash (§9): everything but the envelope fields, amounts compared as
   * minor units so `1.0` and `1.00` are the same request.
   */
  fingerprint(amountMinor: number | null): string {
    // No prototype: a parameter named `__proto__` is an ordinary key here.
    const business: Record<string, string> = Object.create(null);
    for (const [name, value] of this.fields) {
      if (ENVELOPE_FIELDS.has(name) || value === '') continue;
      if ((AMOUNT_FIELDS as readonly string[]).includes(name)) continue;
      business[name] = value;
    }
    if (amountMinor !== null) business.amount_minor = String(amountMinor);
    return sha256Hex(canonicalJson(business));
  }
}
