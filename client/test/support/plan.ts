/**
 * Random plans for the safe-cancel proof: seeded (mulberry32), so a failing run replays from its seed alone.
 */
import type { Dialect } from '../../src/index.ts';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** The payer: a test auth code ending, plus an answer to the password prompt at a business time after the start. */
export interface PayerPlan {
  readonly name: string;
  readonly ending: string;
  /** Confirm (or abandon) the password prompt this many business ms after the first pay call, if still prompting. */
  readonly act?: { readonly at: number; readonly answer: 'confirm' | 'abandon' };
}

export interface FaultPlan {
  readonly operation: 'pay' | 'query' | 'reverse' | 'void';
  readonly effect: 'system_error' | 'timeout' | 'drop' | 'delay';
  readonly commit?: 'before' | 'after';
  readonly delay_ms?: number;
  readonly times: number;
}

export interface RunPlan {
  readonly seed: number;
  readonly dialect: Dialect;
  readonly outTradeNo: string;
  readonly amount: number;
  readonly payer: PayerPlan;
  readonly faults: readonly FaultPlan[];
  /** SIGKILL the client process right after its n-th journal record (1-based); null: no crash. */
  readonly crashAfterRecord: number | null;
  /** The client's pay deadline: the default (45 s / 60 s) or shorter, so cancels race the payer's confirmation. */
  readonly payDeadlineMs: number | null;
}

const PAYERS: readonly ((r: () => number) => PayerPlan)[] = [
  () => ({ name: 'pays at once', ending: '7777' }),
  () => ({ name: 'confirms after 10 s', ending: '0001' }),
  () => ({ name: 'never confirms', ending: '0002' }),
  (r) => ({ name: 'confirms late', ending: '0002', act: { at: Math.floor(r() * 60_000), answer: 'confirm' } }),
  (r) => ({ name: 'abandons', ending: '0002', act: { at: Math.floor(r() * 25_000), answer: 'abandon' } }),
  () => ({ name: 'not enough money', ending: '0003' }),
  () => ({ name: 'expired code', ending: '0004' }),
  () => ({ name: 'system error, paid', ending: '0005' }),
  () => ({ name: 'system error, not paid', ending: '0006' }),
];

export interface PlanOptions {
  readonly faults: boolean;
  readonly crashRate: number;
}

export function makePlan(seed: number, dialect: Dialect, o: PlanOptions): RunPlan {
  const r = rng(seed);
  const payer = pick(r, PAYERS)(r);
  const faults: FaultPlan[] = [];
  if (o.faults) {
    const n = Math.floor(r() * 3); // 0, 1 or 2 faults
    for (let i = 0; i < n; i++) {
      const operation = pick(r, ['pay', 'query', dialect === 'paycloud' ? 'void' : 'reverse'] as const);
      const effect = pick(r, ['system_error', 'timeout', 'drop', 'delay'] as const);
      const writes = operation !== 'query';
      faults.push({
        operation,
        effect,
        times: 1 + Math.floor(r() * 3),
        ...(writes && effect !== 'delay' ? { commit: pick(r, ['before', 'after'] as const) } : {}),
        ...(effect === 'timeout' || effect === 'delay' ? { delay_ms: 50 + Math.floor(r() * 250) } : {}),
      });
    }
  }
  const crashAfterRecord = r() < o.crashRate ? 1 + Math.floor(r() * 10) : null;
  const payDeadlineMs = r() < 0.5 ? null : 15_000 + Math.floor(r() * 20_000);
  return { seed, dialect, outTradeNo: `R${seed.toString(36)}`, amount: 1 + Math.floor(r() * 99_999), payer, faults, crashAfterRecord, payDeadlineMs };
}
