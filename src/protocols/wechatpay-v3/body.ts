/**
 * Explicit shape validation of APIv3 JSON bodies (the raw body is kept for the signature, so Fastify's schema
 * validation does not run): every failure is a 400 PARAM_ERROR naming the JSON Pointer of the field.
 */
import { isKnownCurrency, isValidMinorAmount } from '../../core/money.ts';
import { paramError } from './errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;

type Json = Record<string, unknown>;

/** Parses a request body that must be a JSON object. */
export function parseJsonObject(raw: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw paramError('/', null, '请求体不是合法的JSON', 'body');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw paramError('/', null, '请求体必须是JSON对象', 'body');
  }
  return value as Json;
}

interface StringRule {
  readonly max?: number;
  readonly min?: number;
  readonly pattern?: RegExp;
}

/** Reads fields of one JSON object at a pointer prefix ("" for the body, "/amount" for a nested object). */
export class BodyReader {
  constructor(
    private readonly obj: Json,
    private readonly prefix = '',
  ) {}

  private pointer(name: string): string {
    return `${this.prefix}/${name}`;
  }

  /** A nested object, or null when absent and optional. */
  object(name: string, required: true): BodyReader;
  object(name: string, required: false): BodyReader | null;
  object(name: string, required: boolean): BodyReader | null {
    const v = this.obj[name];
    if (v === undefined || v === null) {
      if (required) throw paramError(this.pointer(name), null, `缺少必填参数${name}`, 'body');
      return null;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw paramError(this.pointer(name), v, `${name}应为对象`, 'body');
    return new BodyReader(v as Json, this.pointer(name));
  }

  string(name: string, required: true, rule?: StringRule): string;
  string(name: string, required: boolean, rule?: StringRule): string | null;
  string(name: string, required: boolean, rule: StringRule = {}): string | null {
    const v = this.obj[name];
    if (v === undefined || v === null || v === '') {
      if (required) throw paramError(this.pointer(name), v ?? null, `缺少必填参数${name}`, 'body');
      return null;
    }
    if (typeof v !== 'string') throw paramError(this.pointer(name), v, `${name}应为字符串`, 'body');
    if (rule.max !== undefined && [...v].length > rule.max) throw paramError(this.pointer(name), v, `${name}长度超过${rule.max}`, 'body');
    if (rule.min !== undefined && [...v].length < rule.min) throw paramError(this.pointer(name), v, `${name}长度不足${rule.min}`, 'body');
    if (rule.pattern && !rule.pattern.test(v)) throw paramError(this.pointer(name), v, `${name}格式错误`, 'body');
    return v;
  }

  /** A positive integer amount in minor units. */
  amount(name: string): number {
    const v = this.obj[name];
    if (v === undefined || v === null) throw paramError(this.pointer(name), null, `缺少必填参数${name}`, 'body');
    if (!isValidMinorAmount(v)) throw paramError(this.pointer(name), v, `${name}应为正整数`, 'body');
    return v;
  }

  /** An ISO 4217 currency the gateway knows; `fallback` when absent. */
  currency(name: string, fallback: string | null): string {
    const v = this.obj[name];
    if ((v === undefined || v === null) && fallback) return fallback;
    if (typeof v !== 'string' || !isKnownCurrency(v)) throw paramError(this.pointer(name), v ?? null, `${name}不是支持的币种`, 'body');
    return v;
  }

  raw(name: string): unknown {
    return this.obj[name];
  }
}

/** out_trade_no: 1–32 of [0-9A-Za-z_-|*] (spec §6). */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;
/** out_refund_no: 1–64 of [0-9A-Za-z_-|*@] */
export const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
