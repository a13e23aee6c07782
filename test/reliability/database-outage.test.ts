/**
 * Database outages (issue 17): one gateway process (`tradegate start`, a child process, so an exit is visible) on a
 * PRIVATE PostgreSQL server (test/helpers/private-postgres.ts) reached through a TCP proxy (for stalls), under a
 * load of pays, reverses and refunds (APIv3, APIv2 over mutual TLS) and probes in every dialect:
 * - startup while the database is down: `--wait-for-database 0` exits with one line; otherwise the gateway waits,
 *   logging why, and serves once the server is up;
 * - outages: the server SIGKILLed and restarted, every server process SIGSTOPped then SIGCONTed, the proxy
 *   stopping forwarding. During each, every answer is its dialect's system error within a bound, and the same
 *   process serves again within seconds after it;
 * - afterwards: every success is in the store, invariants hold, refunds due during an outage are notified.
 *
 * Budget: 2–3.5 min (initdb and startup ≈ 20 s, three outages of ≈ 6 s under load with recoveries, up to the 60 s
 * lease of a notification claim a stall swallowed, audit); the test's own timeout is 240 s.
 * PostgreSQL server binaries needed (CI has them and must run this; elsewhere it is skipped with a notice).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { openStore } from '../../src/store/open-store.ts';
import { merchantClient, refused, type Credentials } from '../helpers/gateway.ts';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { histogram, HttpClient, runBounded } from '../helpers/http-client.ts';
import { adminCall, MerchantCalls, prng, type Endpoint } from '../helpers/merchant-calls.ts';
import { createPrivatePostgres, postgresBinDir } from '../helpers/private-postgres.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { allViolations, loadOrders } from '../helpers/store-audit.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { v3AnswerVerifies, v3Headers } from '../helpers/wire.ts';

const BIN = postgresBinDir();
if (!BIN && process.env.CI === 'true') throw new Error('CI: the PostgreSQL server binaries (initdb, postgres) are required for the outage suite');
if (!BIN) console.log('NOTICE: database-outage suite skipped: PostgreSQL server binaries (initdb, postgres) not found');

const TOKEN = 'outage-admin-token';
const AMOUNT = 1000;
const ORDERS = 150;
const IN_FLIGHT = 12;
const TIMEOUT_MS = 2000; // --database-connect-timeout-ms and --database-query-timeout-ms of the gateway under test
/** Every answer during an outage comes within this: acquire + a statement or two at 2 s each, generous for load. */
const ANSWER_BOUND_MS = 15_000;
const ROOT = join(import.meta.dirname, '../..');

/** What a system error looks like in each dialect (the only answers allowed during an outage besides successes). */
const SYSTEM_ERRORS = /^(v3\.\w+ → 500 SYSTEM_ERROR|v2\.\w+ → SYSTEMERROR( recall=Y)?|paycloud → 9999|sandbox → 503|readyz → 503)$/;
const SUCCESSES = /^(v3\.\w+ → 20[04]|v2\.\w+ → SUCCESS|paycloud → 0|sandbox → 200)$/;

describe('database outages: kill -9, stall, proxy stall, startup while down', { skip: BIN ? false : 'PostgreSQL server binaries not installed' }, () => {
  test('no exit, bounded system errors, recovery by itself, nothing acknowledged lost', { timeout: 240_000 }, async () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    const pgServer = await createPrivatePostgres(BIN!);
    cleanups.push(() => pgServer.destroy());
    const proxy = await startTcpProxy(pgServer.port);
    cleanups.push(() => proxy.close());
    const url = `postgres://postgres@127.0.0.1:${proxy.port}/postgres`;
    // Keep-alive sockets outlive the outages: with the default 5 s a socket idle through a stall could be closed by
    // the gateway just as the client reused it (ECONNRESET, a keep-alive race of the client, not an outage answer).
    const bounds = ['--database-connect-timeout-ms', String(TIMEOUT_MS), '--database-query-timeout-ms', String(TIMEOUT_MS), '--keep-alive-timeout-ms', '60000'];

    // ---- startup while the database is down: told not to wait, one clear line and exit 1
    const dataDir = mkdtempSync(join(tmpdir(), 'tradegate-outage-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const refusedStart = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['bin/tradegate.mjs', 'start', '--port', '0', '--tls-port', '0', '--database-url', url, '--data-dir', dataDir, '--wait-for-database', '0', ...bounds],
        { cwd: ROOT, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(refusedStart.code, 1);
    assert.match(refusedStart.stderr, /^tradegate: database unreachable: .*not waiting \(--wait-for-database 0\)\n$/);

    // ---- otherwise it waits (logging why) and serves once the server is up
    const waitStarted = Date.now();
    let waitingLogged: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => {
      waitingLogged = resolve;
    });
    const starting = startGatewayProcess({
      databaseUrl: url,
      adminToken: TOKEN,
      extraArgs: bounds,
      startTimeoutMs: 120_000,
      onStderr: (chunk) => {
        if (chunk.includes('waiting for the database')) waitingLogged();
      },
    });
    await Promise.race([waiting, starting.then(() => undefined)]);
    await sleep(1000); // a retry or two more
    await pgServer.start();
    const gateway: GatewayProcess = await starting;
    cleanups.push(() => gateway.stop());
    const startupWaitMs = Date.now() - waitStarted;
    assert.match(gateway.stderr(), /tradegate: waiting for the database \(.*\); retrying in \d+ ms/);
    const at: Endpoint = { baseUrl: gateway.baseUrl, httpsBaseUrl: gateway.httpsBaseUrl };

    const store = await openStore({ databaseUrl: pgServer.url });
    cleanups.push(() => store.db.close());
    const receiver = await startReceiver(() => ({ status: 200, body: '' }));
    cleanups.push(receiver.close);
    const adminHttp = new HttpClient(8);
    cleanups.push(() => adminHttp.close());
    const admin = (method: string, path: string, body?: unknown) => adminCall(adminHttp, at, TOKEN, method, path, body);
    const created = await admin('POST', '/sandbox/merchants', {});
    assert.equal(created.status, 201);
    const c = { ...(created.body as Credentials), baseUrl: gateway.baseUrl };
    const mc = new MerchantCalls(c, IN_FLIGHT + 8);
    cleanups.push(() => mc.close());
    const wx = merchantClient(c);

    const orders = Array.from({ length: ORDERS }, (_, i) => `O${i}`);
    const codepay = (no: string, i: number) =>
      mc.v3(at, 'POST', '/v3/pay/transactions/codepay', {
        appid: c.appid,
        mchid: c.mchid,
        description: 'outage',
        out_trade_no: no,
        payer: { auth_code: `134567890${String(i % 100000).padStart(5, '0')}0100` },
        amount: { total: AMOUNT, currency: 'CNY' },
        scene_info: { store_info: { out_id: 'store-1' } },
      });
    await runBounded(ORDERS, 8, async (i) => {
      assert.equal((await codepay(orders[i]!, i)).status, 200);
    });
    assert.equal((await admin('POST', `/sandbox/merchants/${c.mchid}/clock`, { advance_seconds: 20 })).status, 200); // reverse window open

    // ---- the load, labelled by the phase each answer arrived in
    const seed = Number(process.env.OUTAGE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = prng(seed);
    let phase = 'up';
    const answers: { phase: string; label: string; ms: number }[] = [];
    const refundSuccess = new Map<string, number>();
    const reverseSuccess = new Set<string>();
    const paySuccess = new Set<string>();
    const notifiedRefunds = new Set<string>();
    let seq = 0;
    let running = true;
    const timed = async (label: () => Promise<string>) => {
      const sentIn = phase;
      const t = Date.now();
      let l: string;
      try {
        l = await label();
      } catch (err) {
        l = `no answer (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      }
      answers.push({ phase: sentIn === phase ? phase : `${sentIn}→${phase}`, label: l, ms: Date.now() - t });
    };
    const loadWorker = async () => {
      while (running) {
        const no = orders[Math.floor(random() * ORDERS)]!;
        const r = random();
        const amount = 1 + Math.floor(random() * 100);
        await timed(async () => {
          if (r < 0.15) {
            const fresh = `P${++seq}`;
            const a = await codepay(fresh, seq);
            if (a.status === 200) paySuccess.add(fresh);
            return `v3.pay → ${a.status}${a.code ? ` ${a.code}` : ''}`;
          } else if (r < 0.3) {
            const a = await mc.v3(at, 'POST', `/v3/pay/transactions/out-trade-no/${no}/reverse`, { appid: c.appid, mchid: c.mchid });
            if (a.status === 200) reverseSuccess.add(no);
            return `v3.reverse → ${a.status}${a.code ? ` ${a.code}` : ''}`;
          } else if (r < 0.35) {
            const a = await mc.v2(at, '/secapi/pay/reverse', { out_trade_no: no }, 'HMAC-SHA256');
            if (a.outcome === 'SUCCESS') reverseSuccess.add(no);
            return `v2.reverse → ${a.outcome}${a.fields.recall === 'Y' && a.outcome !== 'SUCCESS' ? ' recall=Y' : ''}`;
          } else if (r < 0.85) {
            const refundNo = `R${++seq}`;
            const notify = random() < 0.3;
            const a = await mc.v3(at, 'POST', '/v3/refund/domestic/refunds', {
              out_trade_no: no,
              out_refund_no: refundNo,
              amount: { refund: amount, total: AMOUNT, currency: 'CNY' },
              ...(notify ? { notify_url: receiver.url } : {}),
            });
            if (a.status === 200) {
              refundSuccess.set(refundNo, amount);
              if (notify) notifiedRefunds.add(refundNo);
            }
            return `v3.refund → ${a.status}${a.code ? ` ${a.code}` : ''}`;
          }
          const refundNo = `R${++seq}`;
          const a = await mc.v2(at, '/secapi/pay/refund', { out_trade_no: no, out_refund_no: refundNo, total_fee: String(AMOUNT), refund_fee: String(amount) });
          if (a.outcome === 'SUCCESS') refundSuccess.set(refundNo, amount);
          return `v2.refund → ${a.outcome}`;
        });
      }
    };
    /** One call in each dialect (APIv3 through wechatpay-axios-plugin) and the sandbox API, the health probe too. */
    // A client of their own per round: a keep-alive socket idle since the last round may meet the server's close.
    const probes = async () => {
      const probeHttp = new HttpClient(2);
      try {
        await Promise.all([
          timed(async () => {
            try {
              await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: orders[0] });
              return 'v3.query → 200';
            } catch (err) {
              const { status, data } = await refused(Promise.reject(err));
              return `v3.query → ${status} ${data?.code ?? ''}`.trim();
            }
          }),
          // The same query by hand: the answer's Wechatpay-Signature must verify with the platform certificate.
          timed(async () => {
            const path = `/v3/pay/transactions/out-trade-no/${orders[0]}?mchid=${c.mchid}`;
            const res = await probeHttp.send({ method: 'GET', url: new URL(path, at.baseUrl).toString(), headers: await v3Headers(c, 'GET', path, '') });
            const signed = v3AnswerVerifies(res.headers as Record<string, unknown>, res.text, String(c.platformCertificatePem)) ? '' : ' UNSIGNED';
            return `v3.verified → ${res.status}${res.status === 200 ? '' : ` ${JSON.parse(res.text).code}`}${signed}`;
          }),
          timed(async () => {
            const a = await mc.v2(at, '/pay/orderquery', { out_trade_no: orders[1]! });
            return `v2.query → ${a.outcome}`;
          }),
          timed(async () => `paycloud → ${(await mc.payCloud(at, 'order.query', { merchant_order_no: orders[2]! })).code}`),
          timed(async () => `sandbox → ${(await adminCall(probeHttp, at, TOKEN, 'GET', `/sandbox/merchants/${c.mchid}`)).status}`),
          timed(async () => `readyz → ${(await probeHttp.send({ method: 'GET', url: new URL('/readyz', at.baseUrl).toString() })).status}`),
        ]);
      } finally {
        probeHttp.close();
      }
    };
    const load = Promise.all(Array.from({ length: IN_FLIGHT }, loadWorker));
    /** Time from the database's return until an APIv3 call succeeds again. */
    const recovered = async (since: number) => {
      for (;;) {
        const a = await mc.v3(at, 'GET', `/v3/pay/transactions/out-trade-no/${orders[3]}?mchid=${c.mchid}`);
        if (a.status === 200) return Date.now() - since;
        assert.ok(Date.now() - since < 30_000, `not serving 30 s after the database came back: ${a.status} ${a.code}`);
        await sleep(100);
      }
    };
    const outage = async (name: string, down: () => Promise<void> | void, up: () => Promise<void> | void) => {
      // Refunds with a notify_url right before: they settle (and their notifications fall due) during the outage.
      for (let j = 0; j < 3; j++) {
        const refundNo = `N-${name}-${j}`;
        const a = await mc.v3(at, 'POST', '/v3/refund/domestic/refunds', {
          out_trade_no: orders[10 + j]!,
          out_refund_no: refundNo,
          notify_url: receiver.url,
          amount: { refund: 1, total: AMOUNT, currency: 'CNY' },
        });
        if (a.status === 200) {
          refundSuccess.set(refundNo, 1);
          notifiedRefunds.add(refundNo);
        }
      }
      // The outage starts when the database is being taken down: requests in flight then are answered during it
      // (a kill -9 fails them at once, often before down() has seen the server exit).
      phase = name;
      await down();
      for (let p = 0; p < 3; p++) {
        await probes();
        await sleep(1000);
      }
      await sleep(2000);
      const back = Date.now();
      phase = `${name}:recovering`; // the server may answer before up() resolves (a restart's readiness poll)
      await up();
      const ms = await recovered(back);
      phase = 'up';
      for (const started = Date.now(); ; ) {
        // /readyz follows the database (it may lag a probe interval behind)
        const ready = await adminCall(adminHttp, at, TOKEN, 'GET', '/readyz');
        if (ready.status === 200) break;
        assert.ok(Date.now() - started < 15_000, `/readyz still ${ready.status} after the database came back`);
        await sleep(200);
      }
      await sleep(1500);
      return ms;
    };

    await sleep(1500);
    const recoveryMs = {
      kill9: await outage(
        'kill9',
        () => pgServer.kill9(),
        () => pgServer.start(),
      ),
      sigstop: await outage(
        'sigstop',
        () => pgServer.pause(),
        () => pgServer.resume(),
      ),
      proxyStall: await outage(
        'proxy-stall',
        () => proxy.stall(),
        () => proxy.flow(),
      ),
    };
    running = false;
    await load;
    assert.equal(gateway.child.exitCode, null, `the gateway exited: ${gateway.stderr()}`);
    assert.equal(gateway.child.signalCode, null);

    // ---- notifications due during the outages go out after them (refunds settle 1 s after creation). A claim
    // whose answer a stall swallowed leaves its rows leased by nobody: they go out when the lease ends (60 s).
    assert.equal((await admin('POST', `/sandbox/merchants/${c.mchid}/clock`, { advance_seconds: 2 })).status, 200);
    const deliveryStarted = Date.now();
    let pending = Infinity;
    while (Date.now() - deliveryStarted < 80_000) {
      const { rows } = await store.db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE mchid = $1 AND status <> 'delivered'`, [c.mchid]);
      pending = Number(rows[0]!.n);
      if (pending === 0) break;
      await sleep(500);
    }

    // ---- every success in the store, nothing half-done
    const audited = await loadOrders(store.db, [c.mchid]);
    const violations = allViolations(audited);
    const lost: string[] = [];
    const refunds = new Map(audited.flatMap((a) => a.refunds.filter((r) => r.outRefundNo).map((r) => [r.outRefundNo!, r] as const)));
    for (const [no, amount] of refundSuccess) {
      const r = refunds.get(no);
      if (!r || r.amount !== amount) lost.push(`refund ${no} answered ${amount}, stored ${r?.amount}`);
    }
    const byNo = new Map(audited.map((a) => [a.order.outTradeNo, a]));
    for (const no of reverseSuccess) {
      const a = byNo.get(no);
      if (a?.order.state !== 'REVOKED' || a.refunds.filter((r) => r.cause === 'reverse').length !== 1) lost.push(`reverse of ${no}`);
    }
    for (const no of paySuccess) if (byNo.get(no)?.order.paidAt == null) lost.push(`payment ${no}`);
    const notified = new Set(receiver.received.map((r) => r.body));
    const outboxRefunds = audited.flatMap((a) => a.outbox.filter((o) => o.kind === 'refund'));

    // ---- figures
    // Answers to requests sent during an outage; the slowest also counts those sent before it and answered during it.
    const outages = ['kill9', 'sigstop', 'proxy-stall'].map((name) => ({
      name,
      answers: histogram(answers.filter((a) => a.phase === name).map((a) => a.label)),
      slowestMs: Math.max(0, ...answers.filter((a) => a.phase === name || a.phase.endsWith(`→${name}`)).map((a) => a.ms)),
    }));
    const figures = {
      seed,
      startupWaitMs,
      operations: answers.length,
      outages: outages.length,
      recoveryMs,
      lost: lost.length,
      successes: { pays: paySuccess.size, refunds: refundSuccess.size, reverses: reverseSuccess.size },
      notificationsDue: notifiedRefunds.size,
      outboxRefundRows: outboxRefunds.length,
      notificationsReceived: notified.size,
      pending,
      deliveryWaitMs: Date.now() - deliveryStarted,
    };
    console.log(`outage: ${JSON.stringify(figures, null, 1)}`);
    for (const o of outages) console.log(`outage ${o.name}: slowest ${o.slowestMs} ms, answers ${JSON.stringify(o.answers, null, 1)}`);
    for (const name of ['kill9', 'sigstop', 'proxy-stall']) {
      console.log(
        `outage ${name}, recovering: ${JSON.stringify(histogram(answers.filter((a) => a.phase.includes(`${name}:recovering`)).map((a) => a.label)))}`,
      );
    }
    if (pending > 0) console.log(`outage: undelivered ${JSON.stringify(outboxRefunds.filter((o) => o.status !== 'delivered'))}`);

    for (const o of outages) {
      assert.ok(Object.keys(o.answers).length > 0, `${o.name}: no answers during the outage`);
      for (const label of Object.keys(o.answers)) {
        assert.ok(SYSTEM_ERRORS.test(label) || SUCCESSES.test(label), `${o.name}: answer "${label}" is neither a system error nor a success`);
      }
      assert.ok(o.slowestMs <= ANSWER_BOUND_MS, `${o.name}: an answer took ${o.slowestMs} ms`);
      assert.ok(
        Object.keys(o.answers).some((l) => /5\d\d|SYSTEMERROR|9999/.test(l) && !l.startsWith('readyz')),
        `${o.name}: no system error seen`,
      );
      assert.equal(o.answers['readyz → 503'], 3, `${o.name}: /readyz did not answer 503 to each probe`);
    }
    for (const [name, ms] of Object.entries(recoveryMs)) assert.ok(ms <= 20_000, `${name}: serving again took ${ms} ms`);
    const outsideOutages = answers
      .filter((a) => a.phase === 'up')
      .map((a) => a.label)
      .filter((l) => !SUCCESSES.test(l) && !/→ (4\d\d|[A-Z_]+$)/.test(l));
    const upErrors = outsideOutages.filter((l) => /no answer|5\d\d|SYSTEMERROR|9999/.test(l)).slice(0, 10);
    if (upErrors.length > 0) {
      // Why: the gateway's own log lines at warn and above (its unexpected errors name the cause).
      const why = gateway
        .stdout()
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l));
      console.log(`outage: the gateway's errors:\n${why.slice(-20).join('\n')}`);
    }
    assert.deepEqual(upErrors, [], 'system errors while the database was up');
    assert.deepEqual(violations, [], `${violations.length} invariant violations`);
    assert.deepEqual(lost, [], `${lost.length} acknowledged operations lost`);
    assert.equal(pending, 0, `${pending} notifications not delivered`);
    assert.ok(notifiedRefunds.size >= 3, 'refunds with a notify_url were acknowledged around the outages');
    assert.doesNotMatch(gateway.stderr(), /unhandled rejection|uncaught exception/);
  });
});
