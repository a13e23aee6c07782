/**
 * Business-parameter validation of one APIv2 request (§4 "business params"): every failure is a result-level
 * `PARAM_ERROR` (`LACK_PARAMS` for a missing field on unifiedorder) whose `err_code_des` names the field.
 * Values are the parsed XML texts; empty elements were already dropped by the parser (= absent).
 */
import { isKnownCurrency, isValidMinorAmount } from '../../core/money.ts';
import { canonicalJson, sha256Hex } from '../../lib/crypto.ts';
import { parseCompactCst } from '../../lib/time.ts';
import { paramError, type V2Endpoint } from './errors.ts';

/** out_trade_no: 1–32 of digits, letters and `_-|*@` (v2 docs). */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*@]{1,32}$/;
/** out_refund_no: the same alphabet, up to 64. */
export const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
export const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;
export const REFUND_ID = /^[0-9A-Za-z]{1,32}$/;
const NOTIFY_URL = /^https?:\/\/\S{1,250}$/;

interface TextRule {
  readonly max?: number;
  readonly pattern?: RegExp;
}

export class ParamReader {
  constructor(
    readonly params: Readonly<Record<string, string>>,
    private readonly endpoint: V2Endpoint,
  ) {}

  text(name: string, required: true, rule?: TextRule): string;
  text(name: string, required: false, rule?: TextRule): string | null;
  text(name: string, required: boolean, rule?: TextRule): string | null;
  text(name: string, required: boolean, rule: TextRule = {}): string | null {
    const v = Object.hasOwn(this.params, name) ? this.params[name] : '';
    if (v === '') {
      if (required) throw paramError(`缺少参数${name}`, true, this.endpoint);
      return null;
    }
    if (rule.max !== undefined && [...v].length > rule.max) throw paramError(`${name}长度超过${rule.max}`);
    if (rule.pattern && !rule.pattern.test(v)) throw paramError(`${name}格式错误`);
    return v;
  }

  /** A positive integer amount in minor units, as decimal digits without sign, point or leading zero. */
  amount(name: string): number {
    const v = this.text(name, true);
    const n = /^[1-9]\d{0,15}$/.test(v) ? Number(v) : NaN;
    if (!isValidMinorAmount(n)) throw paramError(`${name}必须为正整数（单位为分）`);
    return n;
  }

  /** A non-negative integer (paging offsets), or null when absent. */
  count(name: string): number | null {
    const v = this.text(name, false, { max: 6 });
    if (v === null) return null;
    if (!/^\d+$/.test(v)) throw paramError(`${name}必须为非负整数`);
    return Number(v);
  }

  /** An ISO 4217 code the gateway knows; `fallback` when absent (null: required). */
  currency(name: string, fallback: string | null): string {
    const v = this.text(name, fallback === null);
    if (v === null) return fallback ?? '';
    if (!isKnownCurrency(v)) throw paramError(`${name}不是支持的币种`);
    return v;
  }

  /** An optional ISO 4217 code: null when absent. */
  optionalCurrency(name: string): string | null {
    return this.text(name, false) === null ? null : this.currency(name, null);
  }

  /** yyyyMMddHHmmss (UTC+8) → epoch ms, or null when absent. */
  time(name: string): number | null {
    const v = this.text(name, false, { max: 14 });
    if (v === null) return null;
    const ms = parseCompactCst(v);
    if (ms === null) throw paramError(`${name}格式错误，应为yyyyMMddHHmmss`);
    return ms;
  }

  notifyUrl(required: true): string;
  notifyUrl(required: false): string | null;
  notifyUrl(required: boolean): string | null {
    return this.text('notify_url', required, { max: 256, pattern: NOTIFY_URL });
  }
}

/** Not business parameters: they differ on every retry of the same request. */
const TRANSPORT_FIELDS = new Set(['nonce_str', 'sign', 'sign_type']);

/**
 * The idempotency fingerprint: a hash of the request's business parameters, so that a retry with a fresh
 * nonce (or the other signature algorithm) is a replay and anything else under the same key is a conflict.
 */
export function fingerprintOf(params: Readonly<Record<string, string>>): string {
  const business = Object.fromEntries(Object.entries(params).filter(([name]) => !TRANSPORT_FIELDS.has(name)));
  return sha256Hex(canonicalJson(business));
}
