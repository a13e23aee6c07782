/** `tradegate-pos` (the compiled CLI): pay and cancel print one JSON outcome; bad usage exits 2. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ensureBuilt } from './support/build.ts';
import { ADMIN_TOKEN, authCode, sandboxView, startWorld, type World } from './support/world.ts';

const BIN = join(import.meta.dirname, '../bin/tradegate-pos.mjs');
// Asynchronously: the gateway answering the CLI runs in this process.
const run = async (args: string[]) => {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    return { code: 0, stdout };
  } catch (e: any) {
    return { code: e.code as number, stdout: String(e.stdout) };
  }
};

let world: World;
before(async () => {
  ensureBuilt();
  world = await startWorld();
});
after(async () => {
  await world.close();
});

test('pay (payer never confirms → cancelled), pay (→ paid), cancel of a paid code payment, usage', async (t) => {
  const c = await world.gw.newMerchant();
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-pos-'));
  t.after(() => rmSync(dir, { recursive: true, force: true })); // the credentials and the journal
  const file = join(dir, 'credentials.json');
  writeFileSync(file, JSON.stringify(c), { mode: 0o600 });
  const common = ['--credentials', file, '--dialect', 'wechatpay-v2', '--journal', join(dir, 'pos.journal'), '--sandbox-clock', '--admin-token', ADMIN_TOKEN];
  const abandoned = await run(['pay', 'C1', authCode('0002'), '1800', ...common]);
  assert.equal(abandoned.code, 0);
  assert.deepEqual(JSON.parse(abandoned.stdout), {
    status: 'cancelled',
    out_trade_no: 'C1',
    how: 'declined',
    money_moved: false,
    refunded: 0,
    code: 'PAYERROR',
  });
  const paid = await run(['pay', 'C2', authCode('7777'), '1800', ...common]);
  assert.equal(JSON.parse(paid.stdout).status, 'paid');
  // `cancel` of a code payment: close is refused (use reverse), so the sale stands and the CLI says so.
  const kept = await run(['cancel', 'C2', ...common]);
  assert.equal(JSON.parse(kept.stdout).status, 'paid');
  assert.equal((await sandboxView(world.gw, c.mchid, 'C2')).state, 'SUCCESS');
  assert.equal((await run(['recover', ...common])).stdout, '');
  assert.equal((await run(['pay', 'C3', ...common])).code, 2);
  assert.equal((await run(['refund', ...common])).code, 2);
});
