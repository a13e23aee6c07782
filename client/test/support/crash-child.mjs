// A POS process that dies: runs one payByCode from the compiled client (dist/) and SIGKILLs itself right after
// its n-th journal record — the record is on disk, the next step never happens. Plain JS so the child starts fast.
import { readFileSync } from 'node:fs';
import { sandboxClock, TradegateClient } from '../../dist/index.js';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { plan, credentials, adminToken, journalPath, startAt, requestTimeoutMs, timing } = job;
let fired = false;
const clock = await sandboxClock({
  baseUrl: credentials.baseUrl,
  adminToken,
  mchid: credentials.mchid,
  async onSleep(_ms, now) {
    const act = plan.payer.act;
    if (!act || fired || now < startAt + act.at) return;
    fired = true;
    await fetch(new URL(`sandbox/merchants/${credentials.mchid}/orders/${plan.outTradeNo}/${act.answer}`, credentials.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
  },
});
let records = 0;
const client = new TradegateClient({
  credentials,
  journalPath,
  clock,
  requestTimeoutMs,
  timing,
  onEvent(e) {
    if (e.type === 'journal' && ++records === plan.crashAfterRecord) process.kill(process.pid, 'SIGKILL');
  },
});
const outcome = await client.payByCode({
  dialect: plan.dialect,
  out_trade_no: plan.outTradeNo,
  auth_code: job.authCode,
  amount: plan.amount,
  currency: job.currency,
  deadlineMs: job.deadlineMs,
});
client.close();
process.stdout.write(`${JSON.stringify(outcome)}\n`);
