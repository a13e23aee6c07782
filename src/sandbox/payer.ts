/**
 * The simulated payer behind a payment code. Test auth codes are 18 digits (10–15 prefix); the last four
 * choose the scenario, any other ending pays at once (README "Test auth codes").
 */
import { createHash } from 'node:crypto';
import type { Payer, PayerScenario } from '../core/payer.ts';

export const AUTH_CODE = /^1[0-5]\d{16}$/;

export const TEST_AUTH_CODE_SCENARIOS: Readonly<Record<string, PayerScenario>> = {
  '0001': { kind: 'password', confirmAfterMs: 10_000 },
  '0002': { kind: 'password', confirmAfterMs: null },
  '0003': { kind: 'fail', failure: 'NOT_ENOUGH' },
  '0004': { kind: 'fail', failure: 'AUTH_CODE_EXPIRED' },
  '0005': { kind: 'unknown', paid: true },
  '0006': { kind: 'unknown', paid: false },
};

export const sandboxPayer: Payer = {
  presentCode(authCode: string): PayerScenario {
    if (!AUTH_CODE.test(authCode)) return { kind: 'fail', failure: 'AUTH_CODE_INVALID' };
    return TEST_AUTH_CODE_SCENARIOS[authCode.slice(-4)] ?? { kind: 'pay' };
  },
};

/** A stable payer openid per merchant and payment code (a real wallet would know its user). */
export function openidFor(mchid: string, authCode: string): string {
  return `o${createHash('sha256').update(`${mchid}:${authCode}`).digest('base64url').slice(0, 27)}`;
}
