/**
 * The proof of issue 16: random, seeded plans per dialect — payer behaviours (test auth codes, late confirm,
 * abandon), faults from the fault lab on pay / query / reverse / void, and client processes SIGKILLed between
 * steps then recovered by another process — each checked against the gateway's sandbox view.
 *
 * SAFE_CANCEL_RUNS (default 300 per dialect), SAFE_CANCEL_SEED (master seed; printed), SAFE_CANCEL_REPLAY=
 * <dialect>:<seed> (one run, verbose), SAFE_CANCEL_CRASH_RATE (default 0.1), SAFE_CANCEL_FAULTS=0 (payer only).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureBuilt } from './support/build.ts';
import type { Dialect, MerchantCredentials } from '../src/index.ts';
import { makePlan, type PlanOptions } from './support/plan.ts';
import { runOnce, type RunResult } from './support/runner.ts';
import { merchantFor, startWorld, type World } from './support/world.ts';

const DIALECTS: Dialect[] = ['wechatpay-v3', 'wechatpay-v2', 'paycloud'];
const RUNS = Number(process.env.SAFE_CANCEL_RUNS ?? 300);
const WORKERS = Number(process.env.SAFE_CANCEL_WORKERS ?? 2);
const MASTER = Number(process.env.SAFE_CANCEL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPTIONS: PlanOptions = {
  faults: process.env.SAFE_CANCEL_FAULTS !== '0',
  crashRate: Number(process.env.SAFE_CANCEL_CRASH_RATE ?? 0.1),
};
const REPLAY = process.env.SAFE_CANCEL_REPLAY;

const seedOf = (dialect: Dialect, i: number) => createHash('sha256').update(`${MASTER}:${dialect}:${i}`).digest().readUInt32BE(0);
// /dev/shm when there is one: fsync still runs, but does not wait for a disk shared with other work.
const scratchDirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'tradegate-safe-cancel-'));
  scratchDirs.push(dir);
  return dir;
};

let world: World;
before(async () => {
  // The crashing POS and the recovering CLI run the compiled client, as a merchant would install it.
  ensureBuilt();
  world = await startWorld();
});
after(async () => {
  await world.close();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true }); // journals and credentials
});

test(`safe cancel: ${REPLAY ? `replay ${REPLAY}` : `${RUNS} random runs per dialect (${DIALECTS.join(', ')})`}`, { timeout: 60 * 60_000 }, async () => {
  const results: RunResult[] = [];
  const failures: string[] = [];
  const started = Date.now();
  const faultsSupported = OPTIONS.faults && (await world.gw.admin('GET', `/sandbox/merchants/${(await world.gw.newMerchant()).mchid}/faults`)).status === 200;
  const options = { ...OPTIONS, faults: faultsSupported };
  const record = (r: RunResult) => {
    results.push(r);
    if (r.violations.length) {
      failures.push(
        `seed ${r.plan.seed} (${r.plan.dialect}; replay: SAFE_CANCEL_REPLAY=${r.plan.dialect}:${r.plan.seed}${options.faults ? '' : ' SAFE_CANCEL_FAULTS=0'}): ${r.violations.join('; ')}\n  plan ${JSON.stringify(r.plan)}\n  outcome ${JSON.stringify(r.outcome)}`,
      );
    }
  };
  const worker = async (dialect: Dialect, seeds: number[]) => {
    const c = (await merchantFor(world.gw, dialect)) as MerchantCredentials;
    const dir = scratch();
    for (const seed of seeds) {
      const plan = makePlan(seed, dialect, options);
      try {
        record(await runOnce(world.gw, c, dir, plan));
      } catch (e) {
        failures.push(`seed ${seed} (${dialect}; replay: SAFE_CANCEL_REPLAY=${dialect}:${seed}): harness error ${(e as Error).stack}`);
      }
    }
  };
  if (REPLAY) {
    const [dialect, seed] = REPLAY.split(':') as [Dialect, string];
    await worker(dialect, [Number(seed)]);
    console.log(JSON.stringify(results[0], null, 2));
  } else {
    await Promise.all(
      DIALECTS.flatMap((dialect) =>
        Array.from({ length: WORKERS }, (_, w) =>
          worker(
            dialect,
            Array.from({ length: RUNS }, (_, i) => i)
              .filter((i) => i % WORKERS === w)
              .map((i) => seedOf(dialect, i)),
          ),
        ),
      ),
    );
  }
  const count = (f: (r: RunResult) => boolean) => results.filter(f).length;
  console.log(
    `safe-cancel master seed ${MASTER} (SAFE_CANCEL_SEED=${MASTER}); faults ${options.faults ? 'on' : 'OFF (fault lab not available)'}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  for (const dialect of DIALECTS) {
    const mine = results.filter((r) => r.plan.dialect === dialect);
    if (mine.length === 0) continue;
    const by = (f: (r: RunResult) => boolean) => mine.filter(f).length;
    const fired = mine.reduce((n, r) => n + Object.values(r.fired).reduce((a, b) => a + b, 0), 0);
    console.log(
      `${dialect}: runs ${mine.length}, faults planned ${mine.reduce((n, r) => n + r.plan.faults.length, 0)}, fired ${fired}, crashes ${by((r) => r.crashed)}; ` +
        `paid ${by((r) => r.outcome.status === 'paid')}, cancelled ${by((r) => r.outcome.status === 'cancelled')} ` +
        `(refunded ${by((r) => r.outcome.status === 'cancelled' && r.moneyMoved)}, declined ${by((r) => r.outcome.status === 'cancelled' && r.outcome.how === 'declined')}, ` +
        `money-moved unknown to the client ${by((r) => r.outcome.status === 'cancelled' && r.outcome.money_moved === 'unknown')}), unknown ${by((r) => r.outcome.status === 'unknown')}`,
    );
  }
  const firedBy: Record<string, number> = {};
  for (const r of results) for (const [k, n] of Object.entries(r.fired)) firedBy[k] = (firedBy[k] ?? 0) + n;
  console.log(`faults fired by operation:effect ${JSON.stringify(firedBy)}`);
  console.log(
    `total: runs ${results.length}, faults fired ${Object.values(firedBy).reduce((a, b) => a + b, 0)}, crashes ${count((r) => r.crashed)}, violations ${failures.length}`,
  );
  assert.deepEqual(failures, [], failures.join('\n'));
  if (!REPLAY) assert.equal(results.length, RUNS * DIALECTS.length);
});
