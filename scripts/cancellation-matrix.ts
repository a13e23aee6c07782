/**
 * docs/cancellation-matrix.md, generated: the pure policy functions (decideClose, decideReverse, decideVoid) are
 * evaluated over every order state × payment kind × dialect rule set × order age around each timing boundary of
 * the rules table, and each refusal is rendered through the dialects' exhaustive error maps. Nothing in the
 * document is written by hand, so it cannot drift from the code (a test compares it with the committed file).
 */
import type { CoreErrorCode } from '../src/core/errors.ts';
import type { Order, OrderState, TradeType } from '../src/core/order.ts';
import { decideClose, decideReverse, decideVoid, type Decision } from '../src/core/policy.ts';
import { nextState } from '../src/core/state-machine.ts';
import { rulesFor, type LifecycleRules, type RuleSetName } from '../src/core/rules.ts';
import { payCloudErrorOf } from '../src/protocols/paycloud/errors.ts';
import { v2ErrorOf } from '../src/protocols/wechatpay-v2/errors.ts';
import { v3ErrorOf } from '../src/protocols/wechatpay-v3/errors.ts';

type Decide = (order: Order, now: number, rules: LifecycleRules) => Decision;

interface Dialect {
  readonly name: string;
  readonly rules: RuleSetName;
  /** The wire answer of a core refusal at this dialect's endpoint. */
  readonly wire: (code: CoreErrorCode) => string;
}

interface Operation {
  readonly title: string;
  readonly endpoints: string;
  readonly decide: Decide;
  /** The rule fields that bound the operation's window: the earliest age, and the latest where there is one. */
  readonly minAge: (r: LifecycleRules) => number;
  readonly maxAge: ((r: LifecycleRules) => number) | null;
  readonly dialects: readonly Dialect[];
}

const v3 = (code: CoreErrorCode, family: Parameters<typeof v3ErrorOf>[1]) => {
  const e = v3ErrorOf(code, family);
  return `${e.status} \`${e.body.code}\``;
};
const v2 = (code: CoreErrorCode, endpoint: Parameters<typeof v2ErrorOf>[1]) => {
  const e = v2ErrorOf(code, endpoint);
  return `\`${e.errCode}\`${endpoint === 'reverse' ? ` recall=${e.retryable ? 'Y' : 'N'}` : ''}`;
};

const OPERATIONS: readonly Operation[] = [
  {
    title: 'Close',
    endpoints:
      'APIv3 `…/out-trade-no/{no}/close` (Mainland, partner), `/v3/global/transactions/…/close`, `/hk/v3/transactions/…/close`; APIv2 `/pay/closeorder`',
    decide: decideClose,
    minAge: (r) => r.closeMinAge,
    maxAge: null,
    dialects: [
      { name: 'APIv3 Mainland', rules: 'wechatV3', wire: (c) => v3(c, 'mainland') },
      { name: 'APIv3 Global/HK', rules: 'wechatGlobal', wire: (c) => v3(c, 'global-close') },
      { name: 'APIv2', rules: 'wechatV2', wire: (c) => v2(c, 'closeorder') },
    ],
  },
  {
    title: 'Reverse',
    endpoints:
      'APIv3 `…/out-trade-no/{no}/reverse` (Mainland, partner), `/v3/global/micropay/transactions/…/reverse`, `/hk/v3/transactions/…/reverse`; APIv2 `/secapi/pay/reverse`',
    decide: decideReverse,
    minAge: (r) => r.reverseMinAge,
    maxAge: (r) => r.reverseMaxAge,
    dialects: [
      { name: 'APIv3 Mainland', rules: 'wechatV3', wire: (c) => v3(c, 'mainland') },
      { name: 'APIv3 Global/HK', rules: 'wechatGlobal', wire: (c) => v3(c, 'global') },
      { name: 'APIv2', rules: 'wechatV2', wire: (c) => v2(c, 'reverse') },
    ],
  },
  {
    title: 'Void',
    endpoints: 'PayCloud `order.revoker`',
    decide: decideVoid,
    minAge: (r) => r.voidMinAge,
    maxAge: (r) => r.voidMaxAge,
    dialects: [{ name: 'PayCloud', rules: 'paycloud', wire: (c) => `\`${payCloudErrorOf(c).code}\`` }],
  },
];

const STATES: readonly OrderState[] = ['NOTPAY', 'USERPAYING', 'SUCCESS', 'REFUND', 'PAYERROR', 'CLOSED', 'REVOKED'];
/** A pre-order (paid by the payer later) and a code payment (the cashier scans the payer's code). */
const KINDS: readonly { label: string; tradeType: TradeType }[] = [
  { label: 'pre-order', tradeType: 'NATIVE' },
  { label: 'code payment', tradeType: 'MICROPAY' },
];

function orderIn(state: OrderState, tradeType: TradeType): Order {
  const paid = state === 'SUCCESS' || state === 'REFUND';
  return {
    id: 'matrix',
    mchid: '1900000001',
    outTradeNo: 'MATRIX',
    transactionId: paid ? '4200000000000000000000000000' : null,
    tradeType,
    state,
    amount: 100,
    currency: 'CNY',
    description: 'matrix',
    attach: null,
    notifyUrl: null,
    payerOpenid: null,
    fingerprint: '',
    protocol: 'sandbox',
    createdAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
    paidAt: paid ? 0 : null,
    payerConfirmAt: null,
    payerDeadlineAt: null,
    failure: null,
    refundedAmount: state === 'REFUND' ? 10 : 0,
    refundCount: state === 'REFUND' ? 1 : 0,
    extra: {},
    settlement: null,
  };
}

/** 90 s, 5 min, 7 d: the shortest exact unit. */
export function duration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
    [1, 'ms'],
  ];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** An order age window: sampled at both ends (a window whose ends disagree is a bug in the rules). */
interface Window {
  readonly label: string;
  readonly ages: readonly number[];
}

function windowsOf(op: Operation, rules: LifecycleRules): Window[] {
  const min = op.minAge(rules);
  const max = op.maxAge?.(rules) ?? null;
  const windows: Window[] = [{ label: `younger than ${duration(min)}`, ages: [0, min - 1] }];
  if (max === null) return [...windows, { label: `${duration(min)} or older`, ages: [min, min + 30 * 86_400_000] }];
  return [
    ...windows,
    { label: `${duration(min)} to ${duration(max)}`, ages: [min, max] },
    { label: `older than ${duration(max)}`, ages: [max + 1, max + 86_400_000] },
  ];
}

function describe(state: OrderState, decision: Decision): string {
  switch (decision.kind) {
    case 'refuse':
      return `refused: ${decision.error}`;
    case 'unchanged':
      return 'success, unchanged';
    case 'transition':
      return `→ ${nextState(state, decision.event)}${decision.refundAll ? ' + full refund' : ''}`;
  }
}

/** One cell: the outcome at every sampled age of the window, per dialect, dialects with the same outcome grouped. */
function cell(op: Operation, state: OrderState, tradeType: TradeType, windowIndex: number, strict: boolean): { text: string; refusals: CoreErrorCode[] } {
  const byOutcome = new Map<string, string[]>();
  const refusals: CoreErrorCode[] = [];
  for (const dialect of op.dialects) {
    const rules = rulesFor(dialect.rules, { strictTiming: strict });
    const window = windowsOf(op, rules)[windowIndex];
    const outcomes = new Set(
      window.ages.map((age) => {
        const decision = op.decide(orderIn(state, tradeType), age, rules);
        if (decision.kind === 'refuse') refusals.push(decision.error);
        return describe(state, decision);
      }),
    );
    if (outcomes.size !== 1)
      throw new Error(`${op.title} ${state} ${tradeType} ${dialect.name}: the window "${window.label}" answers ${[...outcomes].join(' and ')}`);
    const [outcome] = outcomes;
    byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), dialect.name]);
  }
  const text = byOutcome.size === 1 ? [...byOutcome.keys()][0] : [...byOutcome].map(([o, names]) => `${names.join(', ')}: ${o}`).join('<br>');
  return { text, refusals };
}

function windowLabels(op: Operation): string[] {
  const labels = op.dialects.map((d) =>
    windowsOf(op, rulesFor(d.rules))
      .map((w) => w.label)
      .join('|'),
  );
  if (new Set(labels).size !== 1) throw new Error(`${op.title}: dialects disagree on the timing windows`);
  return labels[0].split('|');
}

function section(op: Operation): string[] {
  const labels = windowLabels(op);
  const lines = [
    `## ${op.title}`,
    '',
    `Endpoints: ${op.endpoints}.`,
    '',
    `| state | kind | ${labels.join(' | ')} |`,
    `|---|---|${labels.map(() => '---|').join('')}`,
  ];
  const refusals = new Set<CoreErrorCode>();
  const lenient: string[] = [];
  for (const state of STATES) {
    for (const kind of KINDS) {
      const cells = labels.map((_, i) => cell(op, state, kind.tradeType, i, true));
      for (const r of cells.flatMap((c) => c.refusals)) refusals.add(r);
      lines.push(`| ${state} | ${kind.label} | ${cells.map((c) => c.text).join(' | ')} |`);
      const relaxed = cell(op, state, kind.tradeType, 0, false);
      for (const r of relaxed.refusals) refusals.add(r);
      if (relaxed.text !== cells[0].text) lenient.push(`${state} ${kind.label}: ${relaxed.text}`);
    }
  }
  lines.push('');
  if (lenient.length > 0) {
    lines.push(`A merchant with \`strictTiming: false\` is not refused for being early; in the first column it gets: ${lenient.join('; ')}.`, '');
  }
  lines.push(
    `Refusals on the wire (${op.title.toLowerCase()}):`,
    '',
    `| core refusal | ${op.dialects.map((d) => d.name).join(' | ')} |`,
    `|---|${op.dialects.map(() => '---|').join('')}`,
  );
  for (const code of [...refusals].sort()) lines.push(`| ${code} | ${op.dialects.map((d) => d.wire(code)).join(' | ')} |`);
  lines.push('');
  return lines;
}

export function renderCancellationMatrix(): string {
  const lines = [
    '<!-- Generated by `npm run docs` (scripts/cancellation-matrix.ts) from src/core/policy.ts, src/core/rules.ts and the',
    "     dialects' error maps. Do not edit by hand: a test fails when this file differs from what the code produces. -->",
    '# Cancellation matrix',
    '',
    "What close, reverse and void answer for an order in each state, by the order's age on the merchant's business",
    'clock (for a code payment, age counts from the payment call). Each window was evaluated at both of its ends.',
    'Before deciding, the gateway applies what time alone has done: an unpaid order past its expiry is already',
    'CLOSED, and a payer who was asked for a password has confirmed (SUCCESS) or timed out (PAYERROR) by then.',
    '',
    '"→ STATE" is a success that moves the order; "+ full refund" means the whole unrefunded amount goes back to the',
    'payer in the same transaction (a refund that refund queries do not list). "success, unchanged" answers as a',
    'success and changes nothing (a repeat). A refusal changes nothing.',
    '',
  ];
  for (const op of OPERATIONS) lines.push(...section(op));
  return `${lines.join('\n').trimEnd()}\n`;
}
