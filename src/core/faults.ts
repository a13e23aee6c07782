/**
 * The fault lab's vocabulary: what a merchant may ask the gateway to get wrong, and how a definition is checked and
 * matched. Pure: storage, HTTP and wire formats live elsewhere.
 */

export const FAULT_OPERATIONS = ['create', 'pay', 'query', 'close', 'reverse', 'void', 'refund', 'refund_query', 'notify', '*'] as const;
export const FAULT_DIALECTS = ['wechatpay-v3', 'wechatpay-global', 'wechatpay-v2', 'paycloud'] as const;
export const FAULT_EFFECTS = ['system_error', 'timeout', 'drop', 'delay', 'duplicate'] as const;
export const FAULT_COMMITS = ['before', 'after'] as const;

export type FaultOperation = (typeof FAULT_OPERATIONS)[number];
/** The operations a request performs (`*` only matches). */
export type FaultedOperation = Exclude<FaultOperation, '*'>;
export type FaultDialect = (typeof FAULT_DIALECTS)[number];
export type FaultEffect = (typeof FAULT_EFFECTS)[number];
export type FaultCommit = (typeof FAULT_COMMITS)[number];

/** The longest hold a fault may ask for (2 minutes). */
export const MAX_FAULT_DELAY_MS = 120_000;
/** A `timeout` holds this long when the definition names no delay. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** What the merchant asks for, after checking and defaults. */
export interface FaultSpec {
  readonly operation: FaultOperation;
  readonly dialect: FaultDialect | null;
  readonly outTradeNo: string | null;
  readonly effect: FaultEffect;
  /** null where commit means nothing (reads, notify, delay, duplicate). */
  readonly commit: FaultCommit | null;
  readonly delayMs: number;
  readonly times: number;
}

/** A stored definition and how often it has fired. */
export interface StoredFault extends FaultSpec {
  readonly id: string;
  readonly mchid: string;
  readonly fired: number;
  readonly createdAt: number;
}

/** One fired fault, as the fired-faults log keeps it. */
export interface FaultFiring {
  readonly mchid: string;
  /** null: the per-request header's fault (never stored as a definition). */
  readonly faultId: string | null;
  readonly effect: FaultEffect;
  readonly commit: FaultCommit | null;
  readonly operation: FaultedOperation;
  readonly dialect: string;
  readonly outTradeNo: string | null;
  readonly requestId: string | null;
  readonly at: number;
}

/** A definition that cannot be stored: `field` names the offending input field. */
export class FaultDefinitionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FaultDefinitionError';
  }
}

const READS: readonly FaultOperation[] = ['query', 'refund_query'];
const NOTIFY_EFFECTS: readonly FaultEffect[] = ['drop', 'duplicate', 'delay'];
const API_EFFECTS: readonly FaultEffect[] = ['system_error', 'timeout', 'drop', 'delay'];
const FIELDS = ['operation', 'dialect', 'out_trade_no', 'effect', 'commit', 'delay_ms', 'times'];

const oneOf = <T extends string>(values: readonly T[], v: unknown, field: string): T => {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new FaultDefinitionError(field, `${field} must be one of ${values.join(', ')}`);
  }
  return v as T;
};

const integer = (v: unknown, field: string, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new FaultDefinitionError(field, `${field} must be an integer from ${min} to ${max}`);
  }
  return v;
};

/**
 * Checks a definition (the sandbox API's JSON body, the header's fields, the CLI's flags) and applies the
 * defaults: `commit` after for system_error, timeout and drop on operations that write; `delay_ms` 30 000 for a
 * timeout, else 0; `times` 1. `operationRequired` false: the per-request header, which names its own call.
 */
export function parseFaultDefinition(input: Record<string, unknown>, operationRequired = true): FaultSpec {
  for (const key of Object.keys(input)) if (!FIELDS.includes(key)) throw new FaultDefinitionError(key, `unknown field ${key}`);
  const operation = input.operation === undefined && !operationRequired ? '*' : oneOf(FAULT_OPERATIONS, input.operation, 'operation');
  const dialect = input.dialect === undefined || input.dialect === null ? null : oneOf(FAULT_DIALECTS, input.dialect, 'dialect');
  let outTradeNo: string | null = null;
  if (input.out_trade_no !== undefined && input.out_trade_no !== null) {
    if (typeof input.out_trade_no !== 'string' || input.out_trade_no.length < 1 || input.out_trade_no.length > 64 || input.out_trade_no.includes('\u0000')) {
      throw new FaultDefinitionError('out_trade_no', 'out_trade_no must be a string of 1 to 64 characters');
    }
    outTradeNo = input.out_trade_no;
  }
  const effect = oneOf(FAULT_EFFECTS, input.effect, 'effect');
  if (operation === 'notify' && !NOTIFY_EFFECTS.includes(effect)) {
    throw new FaultDefinitionError('effect', `effect ${effect} does not apply to notify (drop, duplicate or delay)`);
  }
  if (operation !== 'notify' && operation !== '*' && !API_EFFECTS.includes(effect)) {
    throw new FaultDefinitionError('effect', `effect ${effect} applies to notify only`);
  }
  let commit: FaultCommit | null = null;
  if (input.commit !== undefined && input.commit !== null) {
    commit = oneOf(FAULT_COMMITS, input.commit, 'commit');
    if (effect === 'delay' || effect === 'duplicate') throw new FaultDefinitionError('commit', `commit does not apply to ${effect}`);
    if (READS.includes(operation)) throw new FaultDefinitionError('commit', `commit does not apply to ${operation} (it writes nothing)`);
    if (operation === 'notify') throw new FaultDefinitionError('commit', 'commit does not apply to notify');
  } else if (
    (effect === 'system_error' || effect === 'timeout' || effect === 'drop') &&
    operation !== 'notify' &&
    operation !== '*' &&
    !READS.includes(operation)
  ) {
    // `*` leaves it to the call (effectiveCommit): after on writes, nothing on reads.
    commit = 'after';
  }
  const delayMs = input.delay_ms === undefined ? (effect === 'timeout' ? DEFAULT_TIMEOUT_MS : 0) : integer(input.delay_ms, 'delay_ms', 0, MAX_FAULT_DELAY_MS);
  const times = input.times === undefined ? 1 : integer(input.times, 'times', 1, 1_000_000);
  return { operation, dialect, outTradeNo, effect, commit, delayMs, times };
}

/**
 * The `name=value; name=value` text of a per-request fault (`effect=system_error; commit=after`), as a
 * definition's fields; numbers are numbers. Throws FaultDefinitionError naming the malformed part.
 */
export function faultFieldsOfText(text: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new FaultDefinitionError(item, `"${item}" is not name=value`);
    const name = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    fields[name] = name === 'delay_ms' || name === 'times' ? (/^\d{1,9}$/.test(value) ? Number(value) : value) : value;
  }
  return fields;
}

/** What a request does, for matching. */
export interface FaultCall {
  readonly operation: FaultedOperation;
  readonly dialect: string;
  readonly outTradeNo: string | null;
}

export function faultMatches(f: FaultSpec, call: FaultCall): boolean {
  return (
    (f.operation === '*' || f.operation === call.operation) &&
    (f.dialect === null || f.dialect === call.dialect) &&
    (f.outTradeNo === null || f.outTradeNo === call.outTradeNo) &&
    (call.operation === 'notify' ? NOTIFY_EFFECTS.includes(f.effect) : API_EFFECTS.includes(f.effect))
  );
}

/** The fault that fires for a call: the oldest live matching definition (plans are listed oldest first). */
export function pickFault<F extends StoredFault>(plan: readonly F[], call: FaultCall): F | null {
  return plan.find((f) => f.fired < f.times && faultMatches(f, call)) ?? null;
}

/**
 * What commit means for this call: a stored `commit` stands; `*` definitions and the header leave it to the
 * operation (after, on operations that write; nothing on reads).
 */
export function effectiveCommit(f: FaultSpec, operation: FaultedOperation): FaultCommit | null {
  if (operation === 'notify' || READS.includes(operation) || f.effect === 'delay' || f.effect === 'duplicate') return null;
  return f.commit ?? 'after';
}
