/**
 * One randomized run of the safe-cancel proof: install the plan's faults, run payByCode (in this process, or in a
 * child process that SIGKILLs itself mid-sequence and is followed by `tradegate-pos recover` in another process),
 * then check the invariant against the sandbox's own view of the order.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxClock, TradegateClient, type MerchantCredentials, type Outcome, type Timing } from '../../src/index.ts';
import type { TestGateway } from '../../../test/helpers/gateway.ts';
import type { RunPlan } from './plan.ts';
import { ADMIN_TOKEN, authCode, currencyFor, sandboxView } from './world.ts';

const CLIENT_ROOT = join(import.meta.dirname, '../..');
/** Real milliseconds before a call counts as unanswered; fault holds are shorter than this. */
export const REQUEST_TIMEOUT_MS = 4000;
/** Business time the caller allows one sequence; generous, so only a real bug ends `unknown`. */
const DEADLINE_MS = 6 * 3600_000;

export interface RunResult {
  readonly plan: RunPlan;
  readonly outcome: Outcome;
  readonly crashed: boolean;
  readonly violations: string[];
  readonly moneyMoved: boolean;
  /** How often the plan's faults fired, by effect. */
  readonly fired: Readonly<Record<string, number>>;
}

function exec(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: CLIENT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    // 'close', not 'exit': only then has all of the child's output arrived.
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export async function runOnce(gw: TestGateway, c: MerchantCredentials, dir: string, plan: RunPlan): Promise<RunResult> {
  const currency = currencyFor(plan.dialect);
  const TIMING: Partial<Timing> = plan.payDeadlineMs === null ? {} : { payDeadlineMs: plan.payDeadlineMs };
  const code = authCode(plan.payer.ending);
  for (const f of plan.faults) {
    const res = await gw.admin('POST', `/sandbox/merchants/${c.mchid}/faults`, { ...f, dialect: plan.dialect, out_trade_no: plan.outTradeNo });
    if (res.status !== 201) throw new Error(`fault refused: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const journalPath = join(dir, `${plan.outTradeNo}.journal`);
  let acted = false;
  const clock = await sandboxClock({
    baseUrl: c.baseUrl,
    adminToken: ADMIN_TOKEN,
    mchid: c.mchid,
    async onSleep(_ms, now) {
      const act = plan.payer.act;
      if (!act || acted || now < startAt + act.at) return;
      acted = true;
      await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/${plan.outTradeNo}/${act.answer}`);
    },
  });
  const startAt = clock.now();
  const request = { dialect: plan.dialect, out_trade_no: plan.outTradeNo, auth_code: code, amount: plan.amount, currency, deadlineMs: DEADLINE_MS };
  const violations: string[] = [];
  let outcome: Outcome;
  let crashed = false;
  if (plan.crashAfterRecord === null) {
    const client = new TradegateClient({ credentials: c, journalPath, clock, requestTimeoutMs: REQUEST_TIMEOUT_MS, timing: TIMING });
    outcome = await client.payByCode(request);
    client.close();
  } else {
    const job = join(dir, `${plan.outTradeNo}.job.json`);
    writeFileSync(
      job,
      JSON.stringify({
        plan,
        credentials: c,
        adminToken: ADMIN_TOKEN,
        journalPath,
        startAt,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        timing: TIMING,
        authCode: code,
        currency,
        deadlineMs: DEADLINE_MS,
      }),
      { mode: 0o600 },
    );
    const pos = await exec(['test/support/crash-child.mjs', job]);
    crashed = pos.signal === 'SIGKILL';
    if (!crashed && pos.code !== 0) throw new Error(`POS process failed (${pos.code}): ${pos.stderr}`);
    // A new process resumes whatever the dead one left: the CLI, as an operator would run it.
    const credentialsFile = join(dir, 'credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(c), { mode: 0o600 });
    const rec = await exec([
      'bin/tradegate-pos.mjs',
      'recover',
      '--credentials',
      credentialsFile,
      '--journal',
      journalPath,
      '--sandbox-clock',
      '--admin-token',
      ADMIN_TOKEN,
      '--timeout-ms',
      String(REQUEST_TIMEOUT_MS),
      '--deadline',
      String(DEADLINE_MS / 1000),
    ]);
    if (rec.code !== 0) violations.push(`recover exited ${rec.code}: ${rec.stderr.slice(0, 300)}`);
    const recovered = rec.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Outcome);
    if (!crashed && recovered.length > 0) violations.push(`recover resumed a finished sequence: ${rec.stdout}`);
    // The same call again answers from the journal (and a second recover finds nothing to do).
    const again = new TradegateClient({ credentials: c, journalPath, clock, requestTimeoutMs: REQUEST_TIMEOUT_MS, timing: TIMING });
    if ((await again.recover()).length !== 0) violations.push('a second recover() resumed something');
    outcome = await again.payByCode(request);
    if (again.pending().length !== 0) violations.push('journal still has pending work');
    again.close();
    const printed = crashed ? recovered.find((o) => o.out_trade_no === plan.outTradeNo) : JSON.parse(pos.stdout.trim());
    if (printed && JSON.stringify(printed) !== JSON.stringify(outcome))
      violations.push(`journal outcome ${JSON.stringify(outcome)} ≠ printed ${JSON.stringify(printed)}`);
  }
  const view = await sandboxView(gw, c.mchid, plan.outTradeNo);
  const moneyMoved = !!view?.paid_at;
  violations.push(...invariantViolations(plan, outcome, view));
  const fired: Record<string, number> = {};
  if (plan.faults.length > 0) {
    const faults = (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/faults`)).body.data as {
      out_trade_no: string;
      effect: string;
      operation: string;
      fired: number;
    }[];
    for (const f of faults)
      if (f.out_trade_no === plan.outTradeNo && f.fired > 0) fired[`${f.operation}:${f.effect}`] = (fired[`${f.operation}:${f.effect}`] ?? 0) + f.fired;
    await gw.admin('DELETE', `/sandbox/merchants/${c.mchid}/faults`); // this worker's merchant runs one plan at a time
  }
  return { plan, outcome, crashed, violations, moneyMoved, fired };
}

/** Paid and kept, or cancelled with every paid cent refunded once; nothing left paying or unknown. */
export function invariantViolations(plan: RunPlan, outcome: Outcome, view: any): string[] {
  const v: string[] = [];
  const refunds = view?.refunds?.length ?? 0;
  if (outcome.status === 'unknown') return [`client answered unknown: ${outcome.reason}`];
  if (view && view.amount !== plan.amount) v.push(`amount ${view.amount} ≠ ${plan.amount}`);
  if (outcome.status === 'paid') {
    if (view?.state !== 'SUCCESS') v.push(`client says paid, gateway says ${view?.state ?? 'no order'}`);
    if (refunds !== 0 || (view && view.refunded_amount !== 0)) v.push(`paid order has refunds: ${view?.refunded_amount}`);
    return v;
  }
  if (!view) {
    if (outcome.how !== 'not_found' || outcome.money_moved !== false) v.push(`no order at the gateway, client says ${JSON.stringify(outcome)}`);
    return v;
  }
  if (!['REVOKED', 'CLOSED', 'PAYERROR'].includes(view.state)) v.push(`client says cancelled, gateway says ${view.state}`);
  const paid = view.paid_at !== null;
  if (paid && (view.refunded_amount !== plan.amount || refunds !== 1)) v.push(`paid ${plan.amount}, refunded ${view.refunded_amount} in ${refunds} refunds`);
  if (!paid && (view.refunded_amount !== 0 || refunds !== 0)) v.push(`never paid, yet ${refunds} refunds`);
  if (outcome.money_moved === true && !paid) v.push('client says money moved; it had not');
  if (outcome.money_moved === false && paid) v.push('client says no money moved; it had');
  if (outcome.refunded !== (outcome.money_moved === true ? plan.amount : 0)) v.push(`client refunded ${outcome.refunded}`);
  return v;
}
