/**
 * Crash (issue 6 §2): one gateway process (`tradegate start`, a child process) under a load of reverses and
 * refunds (APIv3, and APIv2 over mutual TLS) is killed with SIGKILL several times and restarted on the same ports.
 * Right before each kill, orders with a notify_url are paid through the sandbox payer, so their notifications are
 * pending (or mid-delivery) when the process dies. Afterwards:
 * - every operation that was answered with success is in the store (the refund with its amount; the reversed
 *   order REVOKED with its full refund; the paid order paid);
 * - nothing is half-done: every invariant of design.md holds and every refund, payment and notification row has
 *   its companions (test/helpers/store-audit.ts);
 * - every pending notification still goes out: each outbox row is delivered and the receiver got each payment
 *   and refund (decrypted and matched), at least once.
 *
 * PostgreSQL only: the process is killed mid-transaction, and recovery is the server's rollback.
 */
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { openStore } from '../../src/store/open-store.ts';
import { postgresOnly } from '../helpers/database.ts';
import type { Credentials } from '../helpers/gateway.ts';
import { freePort, schemaUrl, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { histogram, HttpClient, runBounded } from '../helpers/http-client.ts';
import { adminCall, MerchantCalls, prng, type Endpoint } from '../helpers/merchant-calls.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { allViolations, loadOrders } from '../helpers/store-audit.ts';

const database = postgresOnly();
const KILLS = Number(process.env.CRASH_KILLS ?? 4);
const ORDERS = 500;
const IN_FLIGHT = 16;
const PAID_BEFORE_KILL = 5;
const TOKEN = 'crash-admin-token';
const AMOUNT = 1000;

/** AEAD_AES_256_GCM as APIv3 notifications use it: base64(ciphertext ‖ tag), ASCII key and nonce. */
function decryptResource(resource: { ciphertext: string; nonce: string; associated_data?: string }, apiV3Key: string): any {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(resource.nonce));
  decipher.setAAD(Buffer.from(resource.associated_data ?? ''));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return JSON.parse(Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8'));
}

describe('crash: kill -9 a gateway process under load, restart it', {
  skip: database ? false : 'TEST_DATABASE_URL not set (a killed process is recovered by the server rolling back its transactions)',
}, () => {
  test('every success survives, nothing is half-done, pending notifications go out', { timeout: 300_000 }, async () => {
    const db = database!;
    const cleanups: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    cleanups.push(() => db.cleanup());
    const options = await db.storeOptions();
    const url = schemaUrl(options.databaseUrl!, options.schema!);
    const [port, tlsPort] = [await freePort(), await freePort()];
    const start = () => startGatewayProcess({ databaseUrl: url, adminToken: TOKEN, port, tlsPort });

    let gateway: GatewayProcess = await start();
    cleanups.push(() => gateway.stop());
    const at: Endpoint = { baseUrl: gateway.baseUrl, httpsBaseUrl: gateway.httpsBaseUrl };
    const store = await openStore(options);
    cleanups.push(() => store.db.close());
    // A slow merchant (200 ms per answer): deliveries are in flight when the process dies, so their leases must expire.
    const receiver = await startReceiver(() => ({ status: 200, body: '' }), { delayMs: 200 });
    cleanups.push(receiver.close);
    const adminHttp = new HttpClient(8);
    cleanups.push(() => adminHttp.close());
    const admin = (method: string, path: string, body?: unknown) => adminCall(adminHttp, at, TOKEN, method, path, body);

    const created = await admin('POST', '/sandbox/merchants', {});
    assert.equal(created.status, 201);
    const c = created.body as Credentials;
    const mc = new MerchantCalls(c, IN_FLIGHT);
    cleanups.push(() => mc.close());

    // ---- paid code payments to reverse and refund
    const orders = Array.from({ length: ORDERS }, (_, i) => `K${i}`);
    await runBounded(ORDERS, 8, async (i) => {
      const r = await mc.v3(at, 'POST', '/v3/pay/transactions/codepay', {
        appid: c.appid,
        mchid: c.mchid,
        description: 'crash',
        out_trade_no: orders[i],
        payer: { auth_code: `134567890${String(i).padStart(5, '0')}0100` },
        amount: { total: AMOUNT, currency: 'CNY' },
        scene_info: { store_info: { out_id: 'store-1' } },
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    });
    assert.equal((await admin('POST', `/sandbox/merchants/${c.mchid}/clock`, { advance_seconds: 20 })).status, 200); // reverse window open

    // ---- the load: runs until told to stop, through every kill and restart
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = prng(seed);
    const outcomes: string[] = [];
    const anomalies: string[] = [];
    const refundSuccess = new Map<string, number>();
    const reverseSuccess = new Set<string>();
    const notifiedRefunds = new Set<string>();
    let refundSeq = 0;
    let loadRunning = true;
    const loadWorker = async () => {
      while (loadRunning) {
        const no = orders[Math.floor(random() * ORDERS)]!;
        const r = random();
        const amount = 1 + Math.floor(random() * 120);
        let label: string;
        try {
          if (r < 0.2) {
            const a = await mc.v3(at, 'POST', `/v3/pay/transactions/out-trade-no/${no}/reverse`, { appid: c.appid, mchid: c.mchid });
            label = `v3.reverse → ${a.status}${a.code ? ` ${a.code}` : ''}`;
            if (a.status === 200) reverseSuccess.add(no);
          } else if (r < 0.25) {
            const a = await mc.v2(at, '/secapi/pay/reverse', { out_trade_no: no }, 'HMAC-SHA256');
            label = `v2.reverse → ${a.outcome}`;
            if (a.outcome === 'SUCCESS') reverseSuccess.add(no);
          } else if (r < 0.85) {
            const refundNo = `KR-${++refundSeq}`;
            const notify = random() < 0.2;
            const a = await mc.v3(at, 'POST', '/v3/refund/domestic/refunds', {
              out_trade_no: no,
              out_refund_no: refundNo,
              amount: { refund: amount, total: AMOUNT, currency: 'CNY' },
              ...(notify ? { notify_url: receiver.url } : {}),
            });
            label = `v3.refund → ${a.status}${a.code ? ` ${a.code}` : ''}`;
            if (a.status === 200) {
              refundSuccess.set(refundNo, amount);
              if (notify) notifiedRefunds.add(refundNo);
            }
          } else {
            const refundNo = `KR-${++refundSeq}`;
            const a = await mc.v2(at, '/secapi/pay/refund', {
              out_trade_no: no,
              out_refund_no: refundNo,
              total_fee: String(AMOUNT),
              refund_fee: String(amount),
            });
            label = `v2.refund → ${a.outcome}`;
            if (a.outcome === 'SUCCESS') refundSuccess.set(refundNo, amount);
          }
        } catch (err) {
          // The process is dead or restarting: the outcome is unknown, so nothing is recorded; try again shortly.
          outcomes.push(`no answer (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
          await sleep(20);
          continue;
        }
        // A restarting process answers 503 `starting` (Retry-After: 1) from its listener before it has opened the
        // store: like a refused connection, nothing happened and the outcome is "not yet serving".
        if (/→ 503 HTTP503$/.test(label)) {
          outcomes.push('no answer (starting: 503)');
          await sleep(20);
          continue;
        }
        outcomes.push(label);
        if (/→ (5\d\d|401)\b|FAIL:|SYSTEMERROR|HTTP/.test(label)) anomalies.push(`${label} (${no})`);
      }
    };
    const started = Date.now();
    const load = Promise.all(Array.from({ length: IN_FLIGHT }, loadWorker));

    // ---- kills: orders with a notify_url are paid right before each kill
    const notifiedOrders: string[] = [];
    const kills: { pid: number; answeredBefore: number; downMs: number; leased: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      await sleep(1500 + Math.floor(random() * 2000));
      for (let j = 0; j < PAID_BEFORE_KILL; j++) {
        const no = `NK${k}-${j}`;
        const r = await mc.v3(at, 'POST', '/v3/pay/transactions/native', {
          appid: c.appid,
          mchid: c.mchid,
          description: 'crash',
          out_trade_no: no,
          notify_url: receiver.url,
          amount: { total: AMOUNT, currency: 'CNY' },
        });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        const paid = await admin('POST', `/sandbox/merchants/${c.mchid}/orders/${no}/pay`);
        assert.equal(paid.status, 200, JSON.stringify(paid.body));
        notifiedOrders.push(no);
      }
      const pid = gateway.pid;
      const answeredBefore = outcomes.filter((o) => !o.startsWith('no answer')).length;
      const down = Date.now();
      await gateway.kill9();
      // Deliveries the dead process had leased: nobody may send them again before their lease expires.
      const { rows } = await store.db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE mchid = $1 AND status = 'pending' AND lease_until > $2`, [
        c.mchid,
        Date.now(),
      ]);
      gateway = await start();
      kills.push({ pid, answeredBefore, downMs: Date.now() - down, leased: Number(rows[0]!.n) });
    }
    await sleep(2000);
    loadRunning = false;
    await load;
    const loadMs = Date.now() - started;

    // ---- notifications: refunds settle 1 s after creation; leases of a killed process expire after 60 s
    assert.equal((await admin('POST', `/sandbox/merchants/${c.mchid}/clock`, { advance_seconds: 2 })).status, 200);
    const waitStarted = Date.now();
    let pending = Infinity;
    while (Date.now() - waitStarted < 150_000) {
      const { rows } = await store.db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE mchid = $1 AND status <> 'delivered'`, [c.mchid]);
      pending = Number(rows[0]!.n);
      if (pending === 0) break;
      await sleep(1000);
    }
    const deliveryWaitMs = Date.now() - waitStarted;

    // ---- every success in the store, nothing half-done
    const audited = await loadOrders(store.db, [c.mchid]);
    const violations = allViolations(audited);
    const missing: string[] = [];
    const refunds = new Map(audited.flatMap((a) => a.refunds.filter((r) => r.outRefundNo).map((r) => [r.outRefundNo!, r] as const)));
    for (const [no, amount] of refundSuccess) {
      const r = refunds.get(no);
      if (!r) missing.push(`refund ${no} answered success, not in the store`);
      else if (r.amount !== amount) missing.push(`refund ${no} answered ${amount}, stored ${r.amount}`);
    }
    const byNo = new Map(audited.map((a) => [a.order.outTradeNo, a]));
    for (const no of reverseSuccess) {
      const a = byNo.get(no)!;
      if (a.order.state !== 'REVOKED') missing.push(`${no}: reverse answered success, state ${a.order.state}`);
      if (a.refunds.filter((r) => r.cause === 'reverse').length !== 1) missing.push(`${no}: reverse answered success without exactly one reverse refund`);
    }
    for (const no of notifiedOrders) if (byNo.get(no)?.order.paidAt == null) missing.push(`${no}: payment answered success, order not paid`);

    // ---- pending notifications went out: every payment and every refund with a notify_url, at least once
    const received = receiver.received.map((r) => {
      const envelope = JSON.parse(r.body);
      return { event: String(envelope.event_type), resource: decryptResource(envelope.resource, c.apiV3Key) };
    });
    const paymentsReceived = new Set(received.filter((r) => r.event === 'TRANSACTION.SUCCESS').map((r) => String(r.resource.out_trade_no)));
    const refundsReceived = new Set(received.filter((r) => r.event === 'REFUND.SUCCESS').map((r) => String(r.resource.out_refund_no)));
    const undelivered = [
      ...notifiedOrders.filter((no) => !paymentsReceived.has(no)).map((no) => `payment of ${no}`),
      ...[...notifiedRefunds].filter((no) => !refundsReceived.has(no)).map((no) => `refund ${no}`),
    ];
    const storedNotified = audited.flatMap((a) => a.refunds.filter((r) => r.notifyUrl !== null).map((r) => r.outRefundNo!));
    for (const no of storedNotified) if (!refundsReceived.has(no)) undelivered.push(`refund ${no} (in the store, answer lost)`);

    const answered = outcomes.filter((o) => !o.startsWith('no answer')).length;
    const figures = {
      seed,
      kills: kills.length,
      restartsMs: kills.map((k) => k.downMs),
      deliveriesInFlightAtKills: kills.map((k) => k.leased),
      operations: outcomes.length,
      answered,
      unanswered: outcomes.length - answered,
      loadMs,
      successes: { refunds: refundSuccess.size, reverses: reverseSuccess.size, paymentsBeforeKills: notifiedOrders.length },
      finalStates: histogram(audited.map((a) => a.order.state)),
      outbox: histogram(audited.flatMap((a) => a.outbox.map((o) => `${o.kind}/${o.status}/attempts=${o.attempts}`))),
      notificationsReceived: receiver.received.length,
      notificationsDuplicated: receiver.received.length - new Set(receiver.received.map((r) => r.body)).size,
      deliveryWaitMs,
    };
    console.log(`crash: ${JSON.stringify(figures, null, 1)}`);
    console.log(`crash: outcomes ${JSON.stringify(histogram(outcomes), null, 1)}`);

    assert.ok(kills.length >= 3, `${kills.length} kills`);
    assert.ok(answered >= 1000, `only ${answered} operations were answered`);
    assert.deepEqual(anomalies.slice(0, 20), [], `${anomalies.length} anomalous answers`);
    assert.deepEqual(violations, [], `${violations.length} invariant violations`);
    assert.deepEqual(missing, [], `${missing.length} successes missing from the store`);
    assert.equal(pending, 0, `${pending} notifications not delivered after ${deliveryWaitMs} ms`);
    assert.deepEqual(undelivered, [], `${undelivered.length} notifications never received`);
  });
});
