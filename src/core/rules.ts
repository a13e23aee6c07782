/**
 * Every timing and limit rule, in one table. Dialects that disagree differ here, never in adapter code.
 * Values are milliseconds unless named otherwise.
 */
export interface LifecycleRules {
  readonly closeMinAge: number;
  /** Closing an order that is already CLOSED: Mainland v3 answers success (204), APIv2 and Global refuse. */
  readonly closeOfClosed: 'succeed' | 'refuse';
  readonly reverseMinAge: number;
  readonly reverseMaxAge: number;
  readonly voidMinAge: number;
  readonly voidMaxAge: number;
  readonly userPayingTimeout: number;
  readonly defaultOrderLifetime: number;
  /** The longest lifetime a merchant may ask for (time_expire, PayCloud expires). */
  readonly maxOrderLifetime: number;
  readonly refundWindow: number;
  readonly maxRefunds: number;
  readonly refundSettleDelay: number;
  /** false turns every "too early" refusal into the within-window outcome (expiry limits stay). */
  readonly strictTiming: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

export const WECHAT_RULES: LifecycleRules = {
  closeMinAge: 5 * MINUTE,
  closeOfClosed: 'refuse',
  reverseMinAge: 15 * SECOND,
  reverseMaxAge: 7 * DAY,
  voidMinAge: 15 * SECOND,
  voidMaxAge: 1 * DAY,
  userPayingTimeout: 30 * SECOND,
  defaultOrderLifetime: 7 * DAY,
  maxOrderLifetime: 7 * DAY,
  refundWindow: 365 * DAY,
  maxRefunds: 50,
  refundSettleDelay: 1 * SECOND,
  strictTiming: true,
};

/** The rule set of each cancellation entry point family. */
export const RULES = {
  /** Mainland APIv3: a repeated close of a CLOSED order answers 204. */
  wechatV3: { ...WECHAT_RULES, closeOfClosed: 'succeed' },
  wechatV2: WECHAT_RULES,
  wechatGlobal: WECHAT_RULES,
  /** PayCloud: `expires` defaults to 1 h and may be longer (30 days at most, a project choice). */
  paycloud: { ...WECHAT_RULES, maxRefunds: 10, defaultOrderLifetime: 3600 * SECOND, maxOrderLifetime: 30 * DAY },
} as const satisfies Record<string, LifecycleRules>;

export type RuleSetName = keyof typeof RULES;

/** Applies a merchant's own overrides (strictTiming, maxRefunds …) on top of a dialect's rules. */
export function rulesFor(name: RuleSetName, overrides: Partial<LifecycleRules> = {}): LifecycleRules {
  return { ...RULES[name], ...overrides };
}
