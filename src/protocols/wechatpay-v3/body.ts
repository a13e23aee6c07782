/**
 * Explicit shape validation of APIv3 JSON bodies (the raw body is kept for the signature, so Fastify's schema
 * validation does not run): every failure is a 400 PARAM_ERROR naming the JSON Pointer of the field.
 */
import { isKnownCurrency, isValidMinorAmount } from '../../core/money.ts';
import { paramError } from './errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;

type Json = Record<string, unknown>;

/**
 * Deepest nesting a body may have (the top-level object is depth 1). Real bodies nest 3 levels; a deeper one would
 * make the fingerprint (canonicalJson) and the PARAM_ERROR echo of the value (JSON.stringify) recurse until the
 * stack overflows: a 500, or an error body in Fastify's format instead of ours.
 */
export const MAX_JSON_DEPTH = 32;

/** The nesting depth of JSON text, strings skipped; one linear pass, stops as soon as `limit` is exceeded. */
function nestingExceeds(raw: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Parses a request body that must be a JSON object. */
export function parseJsonObject(raw: string): Json {
  if (nestingExceeds(raw, MAX_JSON_DEPTH)) throw paramError('/', null, `请求体嵌套超过${MAX_JSON_DEPTH}层`, 'body');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw paramError('/', null, '请求体不是合法的JSON', 'body');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw paramError('/', null, '请求体必须是JSON对象', 'body');
  }
  const nul = pointerOfNul(value, '');
  if (nul !== null) throw paramError(nul || '/', null, '参数不能包含U+0000字符', 'body');
  return value as Json;
}

/**
 * The JSON Pointer of the first name or string holding U+0000, which PostgreSQL text cannot store (an SQL error,
 * not a refusal, if it got that far). Recursion is bounded by MAX_JSON_DEPTH.
 */
function pointerOfNul(value: unknown, pointer: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? pointer : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const at = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (k.includes('\u0000')) return at;
    const found = pointerOfNul(v, at);
    if (found !== null) return found;
  }
  return null;
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
