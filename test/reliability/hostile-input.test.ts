/**
 * Hostile input (issue 6 §2): a property-based fuzzer (fast-check) over every endpoint of every dialect the server
 * registers — APIv3 Mainland direct and partner, Global and HK; APIv2 XML (with /secapi/* served over plain HTTP,
 * so that its bodies reach the parser); PayCloud; the sandbox admin API — through `app.inject()` on one in-process
 * gateway. More than 100,000 requests: XML bombs, XXE and DOCTYPE, deep nesting, oversize and non-UTF-8 bodies,
 * wrong types, numbers no parser keeps, `__proto__` keys, truncated/duplicated/foreign Authorization parameters,
 * replayed nonces, stale timestamps, another merchant's ids and orders.
 *
 * Every generated request is invalid in at least one way that the gateway must notice before it writes (a
 * "poison": a malformed field, another merchant's id, an order that is not the caller's, a total that does not
 * match, a paid order's number…), on top of random mutations. The properties: no 5xx; every answer in the
 * dialect's error format (APIv3 JSON `{code, message}`, signed when the caller was authenticated; APIv2 HTTP 200
 * XML with `return_code`, signed result-level answers; PayCloud HTTP 200 signed JSON envelope with `code`; sandbox
 * and unknown paths JSON); no request accepted; and no state change (a content snapshot of merchants, orders,
 * refunds, order_history, outbox, notification_attempts and gateway_secrets, before and after). The valid requests
 * that build the fixture run before the snapshot. Nonces of authenticated requests are remembered by design
 * (auth_nonces), so that table is not compared.
 *
 * Runs on one database per run: PostgreSQL when TEST_DATABASE_URL is set (CI's second run), else PGlite.
 * FUZZ_SEED reproduces a run; FUZZ_SCALE scales the request counts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { testDatabases } from '../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import {
  clone,
  CONTENT_TYPES,
  HOSTILE_BODIES,
  hostileKey,
  hostileText,
  jsonMutation,
  jsonText,
  mutate,
  Raw,
  textMutation,
  withOwnKey,
  XML_ATTACKS,
} from '../helpers/hostile.ts';
import { histogram } from '../helpers/http-client.ts';
import { snapshotDiff, storeSnapshot, type StoreSnapshot } from '../helpers/store-audit.ts';
import {
  formEncode,
  payCloudEnvelope,
  payCloudSigningString,
  payCloudAppKey,
  rsaSignAsync,
  v2Fields,
  v2Sign,
  v2Xml,
  v3AnswerVerifies,
  v3AuthHeader,
  v3AuthParams,
  v3Headers,
  type PayCloudAppKeys,
  type V2SignType,
} from '../helpers/wire.ts';

const databases = testDatabases();
const database = databases[databases.length - 1]!;
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BATCH = 8;
/** A request unanswered this long fails its category (see `watchdog`). */
const STUCK_MS = 60_000;

type Format = 'v3' | 'v2' | 'pc' | 'json' | 'any';

interface Spec {
  readonly cat: string;
  readonly note: string;
  /** The answer's required format: the dialect's where the request names one of its routes with its method. */
  readonly format: Format;
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Sign as this APIv3 merchant when sending (fresh nonce unless given); `edit` rewrites the header's parameters. */
  readonly v3?: { c: Credentials; timestamp?: number; signedBody?: string; edit?: (p: Record<string, string>) => string };
  /** Sign these PayCloud parameters with the app key when sending; JSON or form body. */
  readonly pc?: { params: Record<string, string | Raw>; json: boolean; signWith?: Record<string, string | Raw>; badSign?: boolean };
  /** Send the same request twice (the second is a replay). */
  readonly replay?: boolean;
  /** The key whose signature a signed APIv2 answer must carry. */
  readonly v2Key?: string;
  readonly v2SignType?: V2SignType;
  /** The platform certificate that signs APIv3 answers to this caller. */
  readonly platformPem?: string;
}

// ---------------------------------------------------------------- the wire format of each route

const V2_PATHS = ['/pay/micropay', '/pay/unifiedorder', '/pay/orderquery', '/pay/closeorder', '/secapi/pay/reverse', '/secapi/pay/refund', '/pay/refundquery'];

/** The format of an exact route of `dialect` for `method`, or 'any' for mangled paths and methods with no route. */
function routeFormat(dialect: Format, method: string, routeMethod: string, mangled: boolean): Format {
  if (mangled) return 'any';
  if (dialect === 'v2') return 'v2'; // every method reaches the APIv2 handler, which refuses all but POST itself
  if (dialect === 'pc') return ['POST', 'GET', 'PUT', 'DELETE', 'PATCH'].includes(method) ? 'pc' : 'any';
  return method === routeMethod ? dialect : 'any';
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

const V2_BUSY = '系统繁忙，请稍后再试';

/** Whether an APIv3 request names `mchid` as its merchant, in its body (as JSON.parse reads it) or its query. */
function namesOnly(mchid: string, url: string, body: string): boolean {
  const query = new URL(url, 'http://gateway').searchParams.getAll('mchid');
  if (query.length > 0) return query.every((v) => v === mchid);
  try {
    return (JSON.parse(body) as { mchid?: unknown } | null)?.mchid === mchid;
  } catch {
    return false;
  }
}

/** What is wrong with an answer: a 5xx, a format not the dialect's, or an accepted request. */
function problemsOf(spec: Spec, res: Answer, gatewayApp: PayCloudAppKeys): string[] {
  const p: string[] = [];
  if (res.status >= 500) p.push(`HTTP ${res.status}`);
  if (spec.method === 'HEAD') return p;
  const format = spec.format;
  const text = res.body;
  const asV2 = () => {
    const f = v2Fields(text);
    if (res.status !== 200) return [`APIv2 answered HTTP ${res.status}`];
    if (!/xml/.test(String(res.headers['content-type']))) return ['APIv2 answer is not XML'];
    if (f.return_code === 'FAIL') {
      if (!f.return_msg) return ['return_code=FAIL without return_msg'];
      if (f.return_msg === V2_BUSY) return ['APIv2 unexpected error (系统繁忙)'];
      return [];
    }
    if (f.return_code !== 'SUCCESS') return [`APIv2 answer without return_code: ${text.slice(0, 120)}`];
    if (f.result_code === 'SUCCESS') return ['ACCEPTED (result_code=SUCCESS)'];
    if (f.result_code !== 'FAIL' || !f.err_code) return [`result-level answer without result_code=FAIL/err_code: ${text.slice(0, 120)}`];
    if (f.err_code === 'SYSTEMERROR') return ['APIv2 SYSTEMERROR'];
    if (spec.v2Key && f.sign !== v2Sign(f, spec.v2Key, spec.v2SignType ?? 'MD5')) return ['signed APIv2 answer with a wrong sign'];
    return [];
  };
  const asPc = () => {
    if (res.status !== 200) return [`PayCloud answered HTTP ${res.status}`];
    const env = payCloudEnvelope(text, gatewayApp);
    if (!env) return [`PayCloud answer is not an envelope: ${text.slice(0, 120)}`];
    if (!env.signed) return ['PayCloud envelope signature does not verify'];
    if (env.code === '0') return ['ACCEPTED (code 0)'];
    if (env.code === '9999') return [`PayCloud 9999: ${env.msg}`];
    if (!/^[12]\d{3}$/.test(env.code)) return [`PayCloud code ${env.code}`];
    if (env.data !== '{}') return [`PayCloud error with data ${env.data.slice(0, 80)}`];
    return [];
  };
  const json = (): any => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const only = (b: object, keys: string[]) => Object.keys(b).every((k) => keys.includes(k));
  const asV3 = () => {
    if (res.status < 300) return [`ACCEPTED (HTTP ${res.status})`];
    const b = json();
    if (!b || typeof b !== 'object' || typeof b.code !== 'string' || typeof b.message !== 'string' || !only(b, ['code', 'message', 'detail'])) {
      return [`APIv3 error body not {code, message}: ${text.slice(0, 120)}`];
    }
    if (res.headers['wechatpay-signature'] !== undefined && spec.platformPem && !v3AnswerVerifies(res.headers, text, spec.platformPem)) {
      return ['APIv3 error signature does not verify'];
    }
    return [];
  };
  /** Not a route of any dialect: any JSON error naming itself (the framework's own shape included). */
  const asLooseJson = () => {
    if (res.status < 300) return [`ACCEPTED (HTTP ${res.status})`];
    const b = json();
    if (!b || typeof b !== 'object' || typeof b.message !== 'string' || (typeof b.code !== 'string' && typeof b.error !== 'string')) {
      return [`error body not JSON {code|error, message}: ${text.slice(0, 120)}`];
    }
    return [];
  };
  const asJson = () => {
    if (res.status < 300) return [`ACCEPTED (HTTP ${res.status})`];
    const b = json();
    const codeMessage = b && typeof b === 'object' && typeof b.code === 'string' && typeof b.message === 'string' && only(b, ['code', 'message', 'detail']);
    const errorMessage = b && typeof b === 'object' && typeof b.error === 'string' && typeof b.message === 'string' && only(b, ['error', 'message', 'field']);
    if (!codeMessage && !errorMessage) return [`error body not JSON {code|error, message}: ${text.slice(0, 120)}`];
    return [];
  };
  if (format === 'v2') p.push(...asV2());
  else if (format === 'pc') p.push(...asPc());
  else if (format === 'v3') p.push(...asV3());
  else if (format === 'json') p.push(...asJson());
  else {
    // Mangled paths: whichever dialect answered, in its own format.
    const ct = String(res.headers['content-type'] ?? '');
    if (/xml/.test(ct)) p.push(...asV2());
    else if (/"psn"/.test(text)) p.push(...asPc());
    else p.push(...asLooseJson());
  }
  return p;
}

// ---------------------------------------------------------------- the suite

describe(`hostile input: ≥ 100,000 fuzzed requests (${database.name})`, () => {
  let gw: TestGateway;
  let M1: Credentials, M2: Credentials, SP: Credentials, SUB: Credentials, G: Credentials;
  const fixture = { txn: {} as Record<string, string>, refundNos: [] as string[] };
  let before0: StoreSnapshot;
  const statuses: string[] = [];
  const perCategory: Record<string, { requests: number; ms: number }> = {};
  const problems: { spec: string; problems: string[]; status: number; body: string }[] = [];
  let seq = 0;
  const fresh = (prefix: string) => `${prefix}${(++seq).toString(36)}`;

  before(async () => {
    gw = await startTestGateway(database, undefined, { allowInsecureSecapi: true });
    [M1, M2, SP, G] = await Promise.all([
      gw.newMerchant(),
      gw.newMerchant(),
      gw.newMerchant({ mode: 'service_provider' }),
      gw.newMerchant({ region: 'global' }),
    ]);
    SUB = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: SP.mchid });
    await buildFixture();
    await gw.notifier.stop();
    before0 = await storeSnapshot(gw.store.db);
  });
  after(async () => {
    await gw?.close();
    await database.cleanup();
  });

  /** Valid requests, before the snapshot: paid orders of every merchant and dialect, each partly refunded. */
  async function buildFixture() {
    const send = async (c: Credentials, method: string, url: string, body?: unknown) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      const res = await gw.app.inject({ method: method as 'GET', url, payload: text || undefined, headers: await v3Headers(c, method, url, text) });
      assert.ok(res.statusCode < 300, `${url}: ${res.statusCode} ${res.body}`);
      return res.body ? res.json() : null;
    };
    const notify = 'http://127.0.0.1:9/notify';
    const scene = { store_info: { out_id: 's' } };
    const code = '134567890123456789';
    const native = (c: Credentials, no: string) =>
      send(c, 'POST', '/v3/pay/transactions/native', {
        appid: c.appid,
        mchid: c.mchid,
        description: 'fixture',
        out_trade_no: no,
        notify_url: notify,
        amount: { total: 1000, currency: 'CNY' },
      });
    const pay = async (mchid: string, no: string) => assert.equal((await gw.admin('POST', `/sandbox/merchants/${mchid}/orders/${no}/pay`)).status, 200);
    const codepay = (c: Credentials, no: string) =>
      send(c, 'POST', '/v3/pay/transactions/codepay', {
        appid: c.appid,
        mchid: c.mchid,
        description: 'fixture',
        out_trade_no: no,
        payer: { auth_code: code },
        amount: { total: 1000, currency: 'CNY' },
        scene_info: scene,
      });
    const refund = (c: Credentials, no: string, extra: Record<string, unknown> = {}) => {
      fixture.refundNos.push(`${no}-R`);
      return send(c, 'POST', '/v3/refund/domestic/refunds', {
        out_trade_no: no,
        out_refund_no: `${no}-R`,
        amount: { refund: 10, total: 1000, currency: 'CNY' },
        ...extra,
      });
    };
    for (const [c, p] of [
      [M1, 'FX1'],
      [M2, 'FX2'],
    ] as const) {
      await native(c, `${p}-NATIVE`);
      await pay(c.mchid, `${p}-NATIVE`);
      await refund(c, `${p}-NATIVE`);
      fixture.txn[`${p}-CODE`] = (await codepay(c, `${p}-CODE`)).transaction_id;
      await refund(c, `${p}-CODE`);
      const v2 = await gw.app.inject({
        method: 'POST',
        url: '/pay/micropay',
        payload: v2Xml(
          withSign(
            {
              appid: c.appid,
              mch_id: c.mchid,
              nonce_str: 'fixture',
              body: 'fixture',
              out_trade_no: `${p}-V2CODE`,
              total_fee: '1000',
              spbill_create_ip: '10.0.0.1',
              auth_code: code,
            },
            c.apiV2Key,
          ),
        ),
      });
      assert.equal(v2Fields(v2.body).result_code, 'SUCCESS', v2.body);
      await refund(c, `${p}-V2CODE`);
      const app = c.paycloud as PayCloudAppKeys;
      const params = await signPayCloud(app, {
        app_id: app.appId,
        method: 'bscanc.pay.submit',
        timestamp: String(Date.now()),
        merchant_no: app.merchantNo,
        merchant_order_no: `${p}-PCCODE`,
        price_currency: 'CNY',
        trans_amount: '10.00',
        auth_code: code,
        description: 'fixture',
      });
      const pc = await gw.app.inject({
        method: 'POST',
        url: '/api/entry',
        payload: formEncode(params),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(JSON.parse(pc.body).code, '0', pc.body);
      await refund(c, `${p}-PCCODE`);
    }
    await native(M2, 'FX2-UNPAID');
    await send(SP, 'POST', '/v3/pay/partner/transactions/native', {
      sp_appid: SP.appid,
      sp_mchid: SP.mchid,
      sub_mchid: SUB.mchid,
      description: 'fixture',
      out_trade_no: 'FXS-NATIVE',
      notify_url: notify,
      amount: { total: 1000, currency: 'CNY' },
    });
    await pay(SUB.mchid, 'FXS-NATIVE');
    await refund(SP, 'FXS-NATIVE', { sub_mchid: SUB.mchid });
    await send(G, 'POST', '/v3/global/transactions/native', {
      appid: G.appid,
      mchid: G.mchid,
      description: 'fixture',
      out_trade_no: 'FXG-NATIVE',
      notify_url: notify,
      amount: { total: 1000, currency: 'HKD' },
    });
    await pay(G.mchid, 'FXG-NATIVE');
    fixture.txn['FXG-CODE'] = (
      await send(G, 'POST', '/v3/global/micropay/transactions/pay', {
        appid: G.appid,
        mchid: G.mchid,
        description: 'fixture',
        out_trade_no: 'FXG-CODE',
        payer: { auth_code: code },
        amount: { total: 1000, currency: 'HKD' },
      })
    ).id;
    for (const no of ['FXG-NATIVE', 'FXG-CODE']) {
      fixture.refundNos.push(`${no}-R`);
      await send(G, 'POST', '/v3/global/refunds', {
        mchid: G.mchid,
        out_trade_no: no,
        out_refund_no: `${no}-R`,
        amount: { refund: 10, total: 1000, currency: 'HKD' },
      });
    }
    // Refunds settle 1 s after creation; the sandbox order view catches each order up with time, so that nothing
    // is left for a later request to settle. Outbox rows stay pending: the notifier is stopped before the snapshot.
    for (const c of [M1, M2, SUB, G]) await gw.advance(c.mchid, 2);
    for (const [mchid, no] of [
      ...['NATIVE', 'CODE', 'V2CODE', 'PCCODE'].flatMap((k) => [
        [M1.mchid, `FX1-${k}`],
        [M2.mchid, `FX2-${k}`],
      ]),
      [M2.mchid, 'FX2-UNPAID'],
      [SUB.mchid, 'FXS-NATIVE'],
      [G.mchid, 'FXG-NATIVE'],
      [G.mchid, 'FXG-CODE'],
    ]) {
      const view = await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`);
      assert.equal(view.status, 200);
      for (const r of view.body.refunds) assert.equal(r.status, 'SUCCESS', `${no} refund settled`);
      if (no !== 'FX2-UNPAID') assert.equal(view.body.state, 'REFUND', `${no} is partly refunded`);
    }
  }

  function withSign(params: Record<string, string>, key: string, signType: V2SignType = 'MD5'): Record<string, string> {
    const all = { ...params, ...(signType === 'HMAC-SHA256' ? { sign_type: 'HMAC-SHA256' } : {}) };
    return { ...all, sign: v2Sign(all, key, signType) };
  }

  async function signPayCloud(
    app: PayCloudAppKeys,
    params: Record<string, string | Raw>,
    signWith?: Record<string, string | Raw>,
  ): Promise<Record<string, string>> {
    const text = (v: string | Raw) => (v instanceof Raw ? v.text : v);
    const signing = Object.fromEntries(Object.entries(signWith ?? params).map(([k, v]) => [k, text(v)]));
    const sign = await rsaSignAsync(payCloudSigningString(signing), payCloudAppKey(app));
    return { ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, text(v)])), sign };
  }

  // ---------------------------------------------------------------- sending

  /** Requests sent and not yet answered, with when they left: the watchdog names one that is never answered. */
  const unanswered = new Map<object, { readonly since: number; readonly what: string }>();

  async function inject(spec: Spec, headers: Record<string, string>, body: string | Buffer | undefined): Promise<Answer> {
    const key = {};
    unanswered.set(key, { since: Date.now(), what: describeSpec(spec, headers, body) });
    try {
      const res = await gw.app.inject({ method: spec.method as 'GET', url: spec.url, headers, payload: body });
      return { status: res.statusCode, headers: res.headers as Record<string, unknown>, body: res.body };
    } finally {
      unanswered.delete(key);
    }
  }

  /**
   * Fails once a request has waited STUCK_MS for its answer (a few hundred milliseconds is usual, under load a few
   * seconds): the failure names the request and the store's connections, where the test's own timeout would say
   * nothing. Stopped by the returned function.
   */
  function watchdog(): { stuck: Promise<never>; stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        const now = Date.now();
        const late = [...unanswered.values()].filter((u) => now - u.since > STUCK_MS);
        if (late.length === 0) return;
        const pool = gw.store.db.poolStats();
        const shared = gw.store.db.sharedFigures();
        reject(
          new Error(
            `seed ${SEED}: ${late.length} request(s) unanswered after ${STUCK_MS / 1000} s (pool ${JSON.stringify(pool)}, shared ${JSON.stringify(shared)}): ` +
              late
                .slice(0, 3)
                .map((u) => `${Math.round((now - u.since) / 1000)} s ${u.what}`)
                .join(' | '),
          ),
        );
      }, 5_000);
    });
    stuck.catch(() => undefined);
    return { stuck, stop: () => clearInterval(timer) };
  }

  async function send(spec: Spec): Promise<void> {
    let headers = { ...spec.headers };
    let body = spec.body;
    if (spec.v3) {
      const text = typeof body === 'string' ? body : (body ?? Buffer.alloc(0)).toString('utf8');
      const params = await v3AuthParams(spec.v3.c, spec.method, spec.url, text, { timestamp: spec.v3.timestamp, signedBody: spec.v3.signedBody });
      headers = { ...headers, authorization: spec.v3.edit ? spec.v3.edit(params) : v3AuthHeader(params) };
    }
    if (spec.pc) {
      const app = M1.paycloud as PayCloudAppKeys;
      const signed = await signPayCloud(app, spec.pc.params, spec.pc.signWith);
      if (spec.pc.badSign) signed.sign = `${signed.sign.slice(0, -8)}AAAAAAA=`;
      const raw = spec.pc.params;
      body = spec.pc.json
        ? `{${Object.keys(signed)
            .map((k) => `${JSON.stringify(k)}:${k in raw && raw[k] instanceof Raw ? (raw[k] as Raw).text : JSON.stringify(signed[k])}`)
            .join(',')}}`
        : formEncode(signed);
      headers = { 'content-type': spec.pc.json ? 'application/json' : 'application/x-www-form-urlencoded', ...headers };
    }
    const rounds = spec.replay ? 2 : 1;
    let firstStatus = 0;
    for (let round = 0; round < rounds; round++) {
      const res = await inject(spec, headers, body);
      if (round === 0) firstStatus = res.status;
      statuses.push(`${spec.format} ${res.status}`);
      const found = problemsOf(spec, res, M1.paycloud as PayCloudAppKeys);
      // An oversize body is refused before anything reads it, authentication included: then there is no nonce to replay.
      const replayable = firstStatus !== 413;
      if (round === 1 && spec.replay && replayable && !(res.status === 401 && /nonce invalid/.test(res.body)))
        found.push(`replayed nonce answered ${res.status} ${res.body.slice(0, 100)}`);
      if (found.length > 0) problems.push({ spec: describeSpec(spec, headers, body), problems: found, status: res.status, body: res.body.slice(0, 300) });
    }
  }

  function describeSpec(spec: Spec, headers: Record<string, string>, body: string | Buffer | undefined): string {
    const b = body === undefined ? '' : Buffer.isBuffer(body) ? `<${body.length} bytes> ${body.subarray(0, 200).toString('latin1')}` : body.slice(0, 400);
    return `[${spec.cat}: ${spec.note}] ${spec.method} ${spec.url.slice(0, 200)} headers=${JSON.stringify(headers).slice(0, 300)} body=${b}`;
  }

  /** Runs `count` generated requests in batches of BATCH concurrent injects, as one fast-check property. */
  async function fuzz(cat: string, count: number, arb: fc.Arbitrary<Spec>) {
    const runs = Math.max(1, Math.ceil((count * SCALE) / BATCH));
    const t0 = Date.now();
    const before = statuses.length;
    const dog = watchdog();
    try {
      await Promise.race([
        fc.assert(
          fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), async (specs) => {
            await Promise.all(specs.map(send));
          }),
          { numRuns: runs, seed: SEED + cat.length, endOnFailure: true },
        ),
        dog.stuck,
      ]);
    } finally {
      dog.stop();
    }
    perCategory[cat] = { requests: statuses.length - before, ms: Date.now() - t0 };
    const mine = problems.filter((p) => p.spec.startsWith(`[${cat}:`));
    assert.deepEqual(mine.slice(0, 5), [], `${mine.length} problems in ${cat}`);
    const snap = await storeSnapshot(gw.store.db);
    assert.deepEqual(snapshotDiff(before0, snap), [], `state changed during ${cat}`);
  }

  // ---------------------------------------------------------------- request catalogue

  /** Every route of every dialect (method, path as a client would send it). */
  const endpoints = (): [string, string, Format][] => {
    const no = 'FX1-NATIVE';
    const v3 = [
      ...['jsapi', 'native', 'app', 'h5', 'codepay'].flatMap((k) => [
        ['POST', `/v3/pay/transactions/${k}`],
        ['POST', `/v3/pay/partner/transactions/${k}`],
      ]),
      ['GET', `/v3/pay/transactions/id/4200000000?mchid=${M1.mchid}`],
      ['GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${M1.mchid}`],
      ['POST', `/v3/pay/transactions/out-trade-no/${no}/close`],
      ['POST', `/v3/pay/transactions/out-trade-no/${no}/reverse`],
      ['GET', `/v3/pay/partner/transactions/out-trade-no/${no}?sp_mchid=${SP.mchid}&sub_mchid=${SUB.mchid}`],
      ['POST', `/v3/pay/partner/transactions/out-trade-no/${no}/close`],
      ['POST', `/v3/pay/partner/transactions/out-trade-no/${no}/reverse`],
      ['POST', '/v3/refund/domestic/refunds'],
      ['GET', `/v3/refund/domestic/refunds/${no}-R`],
      ['GET', '/v3/certificates'],
      ['GET', '/v3/global/certificates'],
      ...['native', 'jsapi', 'app', 'mweb'].map((k) => ['POST', `/v3/global/transactions/${k}`]),
      ['POST', '/v3/global/micropay/transactions/pay'],
      ['POST', '/hk/v3/transactions/micropay'],
      ['GET', `/v3/global/transactions/out-trade-no/${no}?mchid=${G.mchid}`],
      ['GET', `/v3/global/micropay/transactions/id/1?mchid=${G.mchid}`],
      ['POST', `/v3/global/transactions/out-trade-no/${no}/close`],
      ['POST', `/hk/v3/transactions/out-trade-no/${no}/close`],
      ['POST', `/v3/global/micropay/transactions/out-trade-no/${no}/reverse`],
      ['POST', `/hk/v3/transactions/id/1/reverse`],
      ['POST', '/v3/global/refunds'],
      ['POST', '/hk/v3/refunds'],
      ['GET', `/v3/global/refunds/out-refund-no/x?mchid=${G.mchid}`],
    ] as [string, string][];
    const v2 = V2_PATHS.map((p) => ['POST', p] as [string, string]);
    const pc = [
      '/api/entry',
      '/api/entry/',
      '/api/entry/cpm',
      '/api/entry/mpm',
      '/api/entry/void',
      '/api/entry/refund',
      '/api/entry/refundquery',
      '/api/entry/zzz',
    ].map((p) => ['POST', p] as [string, string]);
    const sandbox = [
      ['POST', '/sandbox/merchants'],
      ['GET', `/sandbox/merchants/${M1.mchid}`],
      ['POST', `/sandbox/merchants/${M2.mchid}/orders/FX2-UNPAID/pay`],
      ['POST', `/sandbox/merchants/${M1.mchid}/orders/FX1-NATIVE/confirm`],
      ['POST', `/sandbox/merchants/${M1.mchid}/clock`],
      ['GET', `/sandbox/merchants/${M1.mchid}/notifications`],
      ['POST', `/sandbox/merchants/${M1.mchid}/notifications/1/redeliver`],
      ['GET', `/sandbox/merchants/${M1.mchid}/orders/FX1-NATIVE`],
    ] as [string, string][];
    const tag = (list: [string, string][], f: Format) => list.map(([m, p]) => [m, p, f] as [string, string, Format]);
    return [...tag(v3, 'v3'), ...tag(v2, 'v2'), ...tag(pc, 'pc'), ...tag(sandbox, 'json')];
  };

  const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
  const mangle = (path: string, how: number): string => {
    switch (how % 12) {
      case 0:
        return `${path.split('?')[0]}/`;
      case 1:
        return `/${path}`;
      case 2:
        return path.toUpperCase();
      case 3:
        return `${path.split('?')[0]}%00`;
      case 4:
        return `${path.split('?')[0]}/../../etc/passwd`;
      case 5:
        return `${path}${path.includes('?') ? '&' : '?'}a=1&a=2&__proto__[x]=1&constructor[prototype][x]=1`;
      case 6:
        return `${path.split('?')[0]}%zz`;
      case 7:
        return `${path.split('?')[0]}/${'x'.repeat(3000)}`;
      default:
        return path;
    }
  };

  const xmlFields = (c: Credentials) => {
    const f: Record<string, string> = { appid: c.appid, mch_id: c.mchid, nonce_str: 'n0nce', body: 'x', out_trade_no: 'FZ', total_fee: '1' };
    return Object.entries(withSign(f, c.apiV2Key))
      .map(([k, v]) => `<${k}>${v}</${k}>`)
      .join('');
  };

  /** Category 1: hostile bytes and headers against every route, no valid credentials. */
  const transportArb = () =>
    fc
      .record({
        ep: fc.constantFrom(...endpoints()),
        method: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        how: fc.nat(),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        body: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_BODIES) },
          { weight: 3, arbitrary: fc.constantFrom(...XML_ATTACKS).map((x) => Buffer.from(x.replace('{{FIELDS}}', xmlFields(M1)))) },
          { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
          { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
          { weight: 1, arbitrary: hostileText.map((t) => Buffer.from(t)) },
        ),
        auth: fc.option(
          fc.oneof(hostileText, fc.constant('WECHATPAY2-SHA256-RSA2048'), fc.constant('Bearer test-admin-token2'), fc.constant('Basic YWRtaW46YWRtaW4=')),
          { freq: 2 },
        ),
      })
      .map(({ ep, method, how, contentType, body, auth }): Spec => {
        const m = method || ep[0];
        const url = mangle(ep[1], how);
        const format = routeFormat(ep[2], m, ep[0], url !== ep[1]);
        const headers: Record<string, string> = {};
        if (contentType !== undefined) headers['content-type'] = contentType;
        if (auth !== null && /^[\t\x20-\x7e\x80-\xff]*$/.test(auth)) headers.authorization = auth;
        return {
          cat: 'transport',
          note: `${m} body`,
          format,
          method: m,
          url,
          headers,
          body: m === 'GET' || m === 'HEAD' ? (how % 3 === 0 ? body : undefined) : body,
        };
      });

  // ------------------------------------------- APIv3 request templates (each request carries at least one poison)

  type Json = Record<string, any>;
  interface V3Template {
    readonly name: string;
    readonly c: Credentials;
    readonly method: 'GET' | 'POST';
    /** The request for target `target` (an order or refund number) and a fresh number `fresh`. */
    make(target: string, fresh: string): { path: string; query?: Record<string, string>; body?: Json };
    readonly targets: readonly string[];
    /** Each turns the request into one the gateway must refuse; empty: every target is refused already. */
    readonly poisons: readonly ((r: { query?: Record<string, any>; body?: Json; path: string }) => void)[];
  }

  const setPath = (obj: Json, path: string[], value: unknown) => {
    let o = obj;
    for (const k of path.slice(0, -1)) {
      if (!o[k] || typeof o[k] !== 'object' || Array.isArray(o[k]) || o[k] instanceof Raw) withOwnKey(o, k, {});
      o = o[k];
    }
    withOwnKey(o, path[path.length - 1]!, value);
  };
  const delPath = (obj: Json, path: string[]) => {
    let o = obj;
    for (const k of path.slice(0, -1)) {
      if (!o[k] || typeof o[k] !== 'object') return;
      o = o[k];
    }
    delete o[path[path.length - 1]!];
  };
  const pick = <T>(xs: readonly T[], i: number) => xs[i % xs.length]!;
  /** A number derived from a (possibly mutated away) field, to vary picks deterministically. */
  const len = (v: unknown): number => {
    if (v === undefined || v === null) return 0;
    if (typeof v === 'string') return v.length;
    try {
      // Generated objects may have no prototype or a poisoned `toString`: JSON text is always defined for them.
      return JSON.stringify(v)?.length ?? 0;
    } catch {
      return 1;
    }
  };
  /** The fixture refunds of these orders (a number another merchant uses is free for this one: not a poison). */
  const refundsOf = (own: readonly string[]) => own.map((o) => `${o}-R`);

  const BAD_AMOUNTS: unknown[] = [0, -1, 1.5, '100', null, true, {}, [], new Raw('1e400'), new Raw('9007199254740993'), new Raw('-0'), 1e20];
  const BAD_NOS = ['a b', 'x'.repeat(33), '中文', '../x', 'a/b', '\u0000', 'a%2Fb'];
  const OWN: Record<string, readonly string[]> = {};
  const FOREIGN_NOS = (): string[] => [
    'FX2-NATIVE',
    'FX2-CODE',
    'FX2-UNPAID',
    'FX2-V2CODE',
    'FX2-PCCODE',
    'FXS-NATIVE',
    'FXG-NATIVE',
    'FXG-CODE',
    'FX1-NATIVE',
    'NOPE-1',
    'Z'.repeat(32),
  ];

  /** Create/codepay poisons shared by every v3 create template (`scope` = the body's merchant fields). */
  const createPoisons = (own: readonly string[], foreignScope: Json) => [
    (r: any) => setPath(r.body, ['out_trade_no'], pick(own, len(r.body.out_trade_no))),
    (r: any) => Object.assign(r.body, foreignScope),
    (r: any) => setPath(r.body, ['amount', 'total'], pick(BAD_AMOUNTS, len(r.body.out_trade_no))),
    (r: any) => setPath(r.body, ['amount', 'currency'], 'XXX'),
    (r: any) => setPath(r.body, ['description'], 'd'.repeat(128)),
    (r: any) => delPath(r.body, ['description']),
    (r: any) => setPath(r.body, ['out_trade_no'], pick(BAD_NOS, len(r.body.description))),
    (r: any) => setPath(r.body, ['time_expire'], '2026-13-45T99:00:00+08:00'),
    // Code payments have no notify_url: for them this is just another unread field, not a poison.
    (r: any) =>
      r.body.payer?.auth_code !== undefined ? setPath(r.body, ['out_trade_no'], pick(own, 0)) : setPath(r.body, ['notify_url'], 'ftp://127.0.0.1/notify'),
  ];

  const v3Templates = (): V3Template[] => {
    const t: V3Template[] = [];
    OWN.M1 = ['FX1-NATIVE', 'FX1-CODE', 'FX1-V2CODE', 'FX1-PCCODE'];
    OWN.SUB = ['FXS-NATIVE'];
    OWN.G = ['FXG-NATIVE', 'FXG-CODE'];
    const foreignNos = (own: readonly string[]) => FOREIGN_NOS().filter((n) => !own.includes(n));
    const foreignTxns = (own: readonly string[]) =>
      Object.entries(fixture.txn)
        .filter(([no]) => !own.includes(no))
        .map(([, id]) => id);
    interface Scope {
      key: string;
      c: Credentials;
      prefix: string;
      fields: Record<string, string>;
      query: Record<string, string>;
      foreign: Record<string, string>;
      currency: string;
      refunds: string;
      refundExtra: Json;
    }
    const scopes: Scope[] = [
      {
        key: 'M1',
        c: M1,
        prefix: '/v3/pay/transactions',
        fields: { appid: M1.appid, mchid: M1.mchid },
        query: { mchid: M1.mchid },
        foreign: { mchid: M2.mchid },
        currency: 'CNY',
        refunds: '/v3/refund/domestic/refunds',
        refundExtra: {} as Json,
      },
      {
        key: 'SUB',
        c: SP,
        prefix: '/v3/pay/partner/transactions',
        fields: { sp_appid: SP.appid, sp_mchid: SP.mchid, sub_mchid: SUB.mchid },
        query: { sp_mchid: SP.mchid, sub_mchid: SUB.mchid },
        foreign: { sub_mchid: M2.mchid },
        currency: 'CNY',
        refunds: '/v3/refund/domestic/refunds',
        refundExtra: { sub_mchid: SUB.mchid } as Json,
      },
    ];
    for (const s of scopes) {
      const own = OWN[s.key]!;
      for (const kind of ['jsapi', 'native', 'app', 'h5', 'codepay']) {
        t.push({
          name: `${s.key} ${kind}`,
          c: s.c,
          method: 'POST',
          targets: [''],
          make: (_t, fresh) => ({
            path: `${s.prefix}/${kind}`,
            body: {
              ...s.fields,
              description: 'fuzz',
              out_trade_no: fresh,
              amount: { total: 100, currency: s.currency },
              ...(kind === 'codepay'
                ? { payer: { auth_code: '134567890123456789' }, scene_info: { store_info: { out_id: 's' } } }
                : { notify_url: 'http://127.0.0.1:9/n' }),
              ...(kind === 'jsapi' ? { payer: s.key === 'M1' ? { openid: 'o1' } : { sp_openid: 'o1' } } : {}),
              ...(kind === 'h5' ? { scene_info: { payer_client_ip: '1.2.3.4', h5_info: { type: 'Wap' } } } : {}),
            },
          }),
          poisons: [
            ...createPoisons(own, s.foreign),
            ...(kind === 'codepay'
              ? [(r: any) => delPath(r.body, ['payer', 'auth_code']), (r: any) => setPath(r.body, ['payer', 'auth_code'], '1'.repeat(129))]
              : []),
          ],
        });
      }
      t.push({
        name: `${s.key} query`,
        c: s.c,
        method: 'GET',
        targets: foreignNos(own),
        make: (no) => ({ path: `${s.prefix}/out-trade-no/${encodeURIComponent(no)}`, query: { ...s.query } }),
        poisons: [],
      });
      t.push({
        name: `${s.key} query by id`,
        c: s.c,
        method: 'GET',
        targets: [...foreignTxns(own), '4200000000000000000000000000', '0'],
        make: (id) => ({ path: `${s.prefix}/id/${encodeURIComponent(id)}`, query: { ...s.query } }),
        poisons: [],
      });
      for (const op of ['close', 'reverse']) {
        t.push({
          name: `${s.key} ${op}`,
          c: s.c,
          method: 'POST',
          targets: [...own, ...foreignNos(own)],
          make: (no) => ({ path: `${s.prefix}/out-trade-no/${encodeURIComponent(no)}/${op}`, body: { ...s.fields } }),
          poisons: [],
        });
      }
      t.push({
        name: `${s.key} refund`,
        c: s.c,
        method: 'POST',
        targets: [...own, ...foreignNos(own)],
        make: (no, fresh) => ({
          path: s.refunds,
          body: { ...s.refundExtra, out_trade_no: no, out_refund_no: fresh, reason: 'fuzz', amount: { refund: 1, total: 1000, currency: s.currency } },
        }),
        poisons: [
          (r: any) => setPath(r.body, ['amount', 'total'], 1001),
          (r: any) => setPath(r.body, ['amount', 'refund'], 100_000),
          (r: any) => setPath(r.body, ['amount', 'currency'], 'USD'),
          (r: any) => setPath(r.body, ['out_refund_no'], pick(refundsOf(own), len(r.body.out_trade_no))),
          (r: any) => setPath(r.body, ['out_trade_no'], pick(foreignNos(own), len(r.body.out_refund_no))),
          (r: any) => setPath(r.body, ['sub_mchid'], s.key === 'M1' ? SUB.mchid : M2.mchid),
          (r: any) => setPath(r.body, ['amount', 'refund'], pick(BAD_AMOUNTS, len(r.body.out_refund_no))),
        ],
      });
      t.push({
        name: `${s.key} refund query`,
        c: s.c,
        method: 'GET',
        targets: [...fixture.refundNos.filter((n) => !own.some((o) => n.startsWith(o))), 'NOPE-R'],
        make: (no) => ({ path: `${s.refunds}/${encodeURIComponent(no)}`, query: (s.key === 'SUB' ? { sub_mchid: SUB.mchid } : {}) as Record<string, string> }),
        poisons: [],
      });
    }
    // Global / HK (common mode, merchant G)
    const gOwn = OWN.G!;
    const gFields = { appid: G.appid, mchid: G.mchid };
    for (const path of [
      '/v3/global/transactions/native',
      '/v3/global/transactions/jsapi',
      '/v3/global/transactions/app',
      '/v3/global/transactions/mweb',
      '/v3/global/micropay/transactions/pay',
      '/hk/v3/transactions/micropay',
    ]) {
      const micropay = path.includes('micropay');
      t.push({
        name: `G ${path}`,
        c: G,
        method: 'POST',
        targets: [''],
        make: (_t, fresh) => ({
          path,
          body: {
            ...gFields,
            description: 'fuzz',
            out_trade_no: fresh,
            amount: { total: 100, currency: 'HKD' },
            ...(micropay ? { payer: { auth_code: '134567890123456789' } } : { notify_url: 'http://127.0.0.1:9/n' }),
            ...(path.endsWith('jsapi') ? { payer: { openid: 'o1' } } : {}),
          },
        }),
        poisons: createPoisons(gOwn, { mchid: M1.mchid }),
      });
    }
    for (const [name, make] of [
      ['G query', (no: string) => `/v3/global/transactions/out-trade-no/${encodeURIComponent(no)}`],
      ['G micropay query', (no: string) => `/v3/global/micropay/transactions/out-trade-no/${encodeURIComponent(no)}`],
    ] as const) {
      t.push({ name, c: G, method: 'GET', targets: foreignNos(gOwn), make: (no) => ({ path: make(no), query: { mchid: G.mchid } }), poisons: [] });
    }
    for (const path of [
      '/v3/global/transactions/out-trade-no/{no}/close',
      '/hk/v3/transactions/out-trade-no/{no}/close',
      '/v3/global/micropay/transactions/out-trade-no/{no}/reverse',
      '/hk/v3/transactions/out-trade-no/{no}/reverse',
    ]) {
      t.push({
        name: `G ${path}`,
        c: G,
        method: 'POST',
        targets: [...gOwn, ...foreignNos(gOwn)],
        make: (no) => ({ path: path.replace('{no}', encodeURIComponent(no)), body: { ...gFields } }),
        poisons: [],
      });
    }
    for (const path of ['/v3/global/refunds', '/hk/v3/refunds']) {
      t.push({
        name: `G ${path}`,
        c: G,
        method: 'POST',
        targets: [...gOwn, ...foreignNos(gOwn)],
        make: (no, fresh) => ({ path, body: { mchid: G.mchid, out_trade_no: no, out_refund_no: fresh, amount: { refund: 1, total: 1000, currency: 'HKD' } } }),
        poisons: [
          (r: any) => setPath(r.body, ['amount', 'total'], 999),
          (r: any) => setPath(r.body, ['amount', 'refund'], 5000),
          (r: any) => setPath(r.body, ['amount', 'currency'], 'CNY'),
          (r: any) => setPath(r.body, ['mchid'], M1.mchid),
        ],
      });
    }
    t.push({
      name: 'G refund query',
      c: G,
      method: 'GET',
      targets: [...fixture.refundNos.filter((n) => !n.startsWith('FXG')), 'NOPE-R'],
      make: (no) => ({ path: `/v3/global/refunds/out-refund-no/${encodeURIComponent(no)}`, query: { mchid: G.mchid } }),
      poisons: [],
    });
    return t;
  };

  /** Percent-encoding of the UTF-8 bytes (lone surrogates become U+FFFD, as any client would send them). */
  const pct = (text: string) =>
    [...Buffer.from(text, 'utf8')]
      .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
      .join('');
  const queryString = (q: Record<string, any>) => {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(q)) {
      for (const one of Array.isArray(v) ? v : [v]) parts.push(`${pct(k)}=${pct(typeof one === 'string' ? one : jsonText(one))}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  };

  /** A template request with random mutations and (where the target alone does not refuse it) one poison, last. */
  const v3RequestArb = (templates: V3Template[]) =>
    fc
      .record({
        t: fc.nat(templates.length - 1),
        target: fc.nat(),
        poison: fc.nat(),
        mutations: fc.array(jsonMutation, { maxLength: 3 }),
        queryMutations: fc.array(textMutation, { maxLength: 2 }),
        dupQuery: fc.boolean(),
        rawEdit: fc.nat(9),
      })
      .map((g) => {
        const tpl = templates[g.t]!;
        const target = pick(tpl.targets, g.target);
        const made = tpl.make(target, fresh('FZ'));
        const r = {
          path: made.path,
          query: made.query ? (clone(made.query) as Record<string, any>) : undefined,
          body: made.body ? clone(made.body) : undefined,
        };
        if (r.body) mutate(r.body, g.mutations);
        if (r.query) mutate(r.query, g.queryMutations);
        if (tpl.poisons.length > 0) pick(tpl.poisons, g.poison)({ ...r, body: r.body ?? {}, query: r.query });
        if (r.query && g.dupQuery) {
          const k = Object.keys(r.query)[0];
          if (k) r.query[k] = [r.query[k], 'dup'];
        }
        let text = r.body === undefined ? '' : jsonText(r.body);
        // Duplicate keys and a second copy of the merchant id: valid JSON text that JSON.parse resolves to the last value.
        if (r.body && g.rawEdit === 0) text = text.replace(/^\{/, `{"mchid":"${M2.mchid}","out_trade_no":"FX2-NATIVE",`);
        const url = `${r.path}${queryString(r.query ?? {})}`;
        return { tpl, url, text };
      });

  const v3BodyArb = (templates: V3Template[]) =>
    v3RequestArb(templates).map(
      ({ tpl, url, text }): Spec => ({
        cat: 'v3-body',
        note: tpl.name,
        format: 'v3',
        method: tpl.method,
        url,
        body: text || undefined,
        headers: text ? { 'content-type': 'application/json' } : {},
        v3: { c: tpl.c },
        platformPem: tpl.c.platformCertificatePem,
      }),
    );

  /** Category: APIv3 Authorization header attacks (mostly on requests that would otherwise be authenticated). */
  const v3AuthArb = (templates: V3Template[]) =>
    fc
      .record({
        req: v3RequestArb(templates),
        attack: fc.nat(21),
        text: hostileText,
        cut: fc.nat(),
        param: fc.constantFrom('mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'),
      })
      .map(({ req, attack, text, cut, param }): Spec => {
        const { tpl, url } = req;
        const body = req.text;
        const base: Spec = {
          cat: 'v3-auth',
          note: `${tpl.name} attack ${attack}`,
          format: 'v3',
          method: tpl.method,
          url,
          body: body || undefined,
          headers: body ? { 'content-type': 'application/json' } : {},
          platformPem: tpl.c.platformCertificatePem,
        };
        const now = Math.floor(Date.now() / 1000);
        const edit = (f: (p: Record<string, string>) => string) => ({ ...base, v3: { c: tpl.c, edit: f } });
        const entries = (p: Record<string, string>) => Object.entries(p).map(([k, v]) => `${k}="${v}"`);
        const scheme = 'WECHATPAY2-SHA256-RSA2048';
        switch (attack) {
          case 0:
            return base; // no Authorization at all
          case 1:
            return { ...base, headers: { ...base.headers, authorization: /^[\t\x20-\x7e]*$/.test(text) ? text : 'x' } };
          case 2:
            return edit((p) => {
              const h = `${scheme} ${entries(p).join(',')}`;
              return h.slice(0, cut % h.length);
            });
          case 3:
            return edit((p) => `${scheme} ${entries(p).join(',')},${param}="${p[param]}"`);
          case 4:
            return edit(
              (p) =>
                `${scheme} ${entries(p)
                  .filter((e) => !e.startsWith(`${param}=`))
                  .join(',')}`,
            );
          case 5:
            return edit((p) => `${scheme} ${entries(p).reverse().join(' , ')}`);
          case 6:
            return edit((p) => `wechatpay2-sha256-rsa2048 ${entries(p).join(',')}`);
          case 7:
            return edit((p) => `WECHATPAY2-SHA256-RSA1024 ${entries(p).join(',')}`);
          case 8:
            return edit((p) => v3AuthHeader({ ...p, mchid: M2.mchid }));
          case 9:
            return edit((p) => v3AuthHeader({ ...p, mchid: SUB.mchid }));
          case 10:
            return edit((p) => v3AuthHeader({ ...p, serial_no: M2.merchantSerialNo }));
          case 11:
            return { ...base, v3: { c: tpl.c, timestamp: now - 301 - (cut % 100_000) } };
          case 12:
            return { ...base, v3: { c: tpl.c, timestamp: now + 301 + (cut % 100_000) } };
          case 13:
            return edit((p) => v3AuthHeader({ ...p, timestamp: pick(['abc', '-1', '1e9', '', '99999999999999', `${now}.5`, ` ${now}`], cut) }));
          case 14:
            return edit((p) => v3AuthHeader({ ...p, nonce_str: pick(['short', 'x'.repeat(33), '', 'a"b'], cut) }));
          case 15:
            return edit((p) => v3AuthHeader({ ...p, signature: pick(['', 'AAAA', '!!!!', p.signature!.slice(0, 100), `${p.signature}AA==`], cut) }));
          case 16:
            return { ...base, v3: { c: tpl.c, signedBody: `${body} ` } };
          case 17:
            return edit((p) => v3AuthHeader({ ...p, mchid: `${p.mchid}"` }));
          case 18:
            return edit((p) => `${scheme} ${entries(p).join(',')}\u0000`);
          // Another merchant's valid signature over this merchant's request (the ids in it are not the signer's). Refund
          // requests carry no merchant id, so for them another merchant's order would be its own: those get attack 8.
          // A request whose mutations left M2's own ids as the only ones (its merchant id deleted, the duplicate-key
          // edit's M2 id the one left) would be M2's own request under M2's signature: those get attack 8 too.
          case 19:
            return tpl.name.includes('refund') || namesOnly(M2.mchid, url, body)
              ? edit((p) => v3AuthHeader({ ...p, mchid: M2.mchid }))
              : { ...base, v3: { c: M2 }, platformPem: M2.platformCertificatePem };
          case 20:
            return edit((p) => `${scheme} ${entries(p).join(',')}, ${entries(p).join(',')}`);
          default:
            return { ...base, replay: true, v3: { c: tpl.c } }; // a valid request refused for its content, then replayed
        }
      });

  // ------------------------------------------- APIv2 templates

  interface V2Template {
    readonly name: string;
    readonly path: string;
    readonly signer: Credentials;
    readonly base: (target: string, fresh: string) => Record<string, string>;
    readonly targets: readonly string[];
    readonly poisons: readonly ((p: Record<string, string>) => void)[];
  }

  const v2Templates = (): V2Template[] => {
    const t: V2Template[] = [];
    interface Caller {
      key: string;
      signer: Credentials;
      ids: Record<string, string>;
      own: readonly string[];
      fee: Record<string, string>;
    }
    const callers: Caller[] = [
      { key: 'M1', signer: M1, ids: { appid: M1.appid, mch_id: M1.mchid }, own: OWN.M1!, fee: {} as Record<string, string> },
      { key: 'SUB', signer: SP, ids: { appid: SP.appid, mch_id: SP.mchid, sub_mch_id: SUB.mchid }, own: OWN.SUB!, fee: {} as Record<string, string> },
      { key: 'G', signer: G, ids: { appid: G.appid, mch_id: G.mchid }, own: OWN.G!, fee: { fee_type: 'HKD' } as Record<string, string> },
    ];
    for (const c of callers) {
      const foreign = FOREIGN_NOS().filter((n) => !c.own.includes(n));
      const createPoisons: ((p: Record<string, string>) => void)[] = [
        (p) => {
          p.out_trade_no = pick(c.own, len(p.out_trade_no));
        },
        (p) => {
          p.total_fee = pick(['0', '-1', '1.5', 'abc', '99999999999999999999', '01', ''], len(p.out_trade_no));
        },
        (p) => {
          delete p.body;
        },
        (p) => {
          delete p.spbill_create_ip;
        },
        (p) => {
          p.fee_type = 'XXX';
        },
        (p) => {
          p.appid = M2.appid;
        },
        (p) => {
          p.sub_mch_id = c.key === 'SUB' ? M2.mchid : SUB.mchid;
        },
        (p) => {
          p.time_expire = '2026133199';
        },
        (p) => {
          p.out_trade_no = pick(BAD_NOS, len(p.body));
        },
      ];
      t.push({
        name: `${c.key} micropay`,
        path: '/pay/micropay',
        signer: c.signer,
        targets: [''],
        base: (_t, fresh) => ({
          ...c.ids,
          body: 'fuzz',
          out_trade_no: fresh,
          total_fee: '100',
          spbill_create_ip: '10.0.0.1',
          auth_code: '134567890123456789',
          ...c.fee,
        }),
        poisons: [
          ...createPoisons,
          (p) => {
            p.auth_code = pick(['123', 'abc', '9'.repeat(18), '1'.repeat(129)], len(p.out_trade_no));
          },
        ],
      });
      t.push({
        name: `${c.key} unifiedorder`,
        path: '/pay/unifiedorder',
        signer: c.signer,
        targets: [''],
        base: (_t, fresh) => ({
          ...c.ids,
          body: 'fuzz',
          out_trade_no: fresh,
          total_fee: '100',
          spbill_create_ip: '10.0.0.1',
          notify_url: 'http://127.0.0.1:9/n',
          trade_type: 'NATIVE',
          product_id: 'p1',
          ...c.fee,
        }),
        poisons: [
          ...createPoisons,
          (p) => {
            p.trade_type = 'BOGUS';
          },
          (p) => {
            p.notify_url = 'ftp://x';
          },
          (p) => {
            p.trade_type = 'NATIVE';
            delete p.product_id;
          },
          (p) => {
            p.trade_type = 'JSAPI';
            delete p.openid;
            delete p.sub_openid;
          },
        ],
      });
      t.push({
        name: `${c.key} orderquery`,
        path: '/pay/orderquery',
        signer: c.signer,
        targets: foreign,
        base: (no) => ({ ...c.ids, out_trade_no: no }),
        poisons: [],
      });
      t.push({
        name: `${c.key} closeorder`,
        path: '/pay/closeorder',
        signer: c.signer,
        targets: [...c.own, ...foreign],
        base: (no) => ({ ...c.ids, out_trade_no: no }),
        poisons: [],
      });
      t.push({
        name: `${c.key} reverse`,
        path: '/secapi/pay/reverse',
        signer: c.signer,
        targets: [...c.own, ...foreign],
        base: (no) => ({ ...c.ids, out_trade_no: no }),
        poisons: [],
      });
      t.push({
        name: `${c.key} refund`,
        path: '/secapi/pay/refund',
        signer: c.signer,
        targets: [...c.own, ...foreign],
        base: (no, fresh) => ({ ...c.ids, out_trade_no: no, out_refund_no: fresh, total_fee: '1000', refund_fee: '1' }),
        poisons: [
          (p) => {
            p.total_fee = '1001';
          },
          (p) => {
            p.refund_fee = '100000';
          },
          (p) => {
            p.refund_fee_type = c.key === 'G' ? 'CNY' : 'USD';
          },
          (p) => {
            p.out_refund_no = pick(refundsOf(c.own), len(p.out_trade_no));
          },
          (p) => {
            p.out_trade_no = pick(foreign, len(p.out_refund_no));
            delete p.transaction_id;
          },
          (p) => {
            p.refund_fee = pick(['0', '-5', 'x', '1.0'], len(p.out_refund_no));
          },
        ],
      });
      t.push({
        name: `${c.key} refundquery`,
        path: '/pay/refundquery',
        signer: c.signer,
        targets: [...fixture.refundNos.filter((n) => !c.own.some((o) => n.startsWith(o))), 'NOPE-R'],
        base: (no) => ({ ...c.ids, out_refund_no: no }),
        poisons: [],
      });
      t.push({
        name: `${c.key} refundquery by order`,
        path: '/pay/refundquery',
        signer: c.signer,
        targets: foreign,
        base: (no) => ({ ...c.ids, out_trade_no: no, offset: '0' }),
        poisons: [],
      });
    }
    return t;
  };

  const v2BodyArb = (templates: V2Template[]) =>
    fc
      .record({
        t: fc.nat(templates.length - 1),
        target: fc.nat(),
        poison: fc.nat(),
        mutations: fc.array(textMutation, { maxLength: 3 }),
        hmac: fc.boolean(),
        layout: fc.nat(5),
      })
      .map((g): Spec => {
        const tpl = templates[g.t]!;
        const p = tpl.base(pick(tpl.targets, g.target), fresh('FZ'));
        mutate(p, g.mutations);
        if (tpl.poisons.length > 0) pick(tpl.poisons, g.poison)(p);
        const signType: V2SignType = g.hmac ? 'HMAC-SHA256' : 'MD5';
        const params: Record<string, string> = { nonce_str: `n${seq}`, ...p };
        if (g.hmac) params.sign_type = 'HMAC-SHA256';
        for (const [k, v] of Object.entries(params)) if (typeof v !== 'string') withOwnKey(params, k, String(v));
        withOwnKey(params, 'sign', v2Sign(params, tpl.signer.apiV2Key, signType));
        const entries = Object.entries(params);
        const body =
          g.layout === 0
            ? `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n${entries.map(([k, v]) => `  <${k}><![CDATA[${v}]]></${k}>`).join('\n')}\n</xml>`
            : v2Xml(params);
        return { cat: 'v2-body', note: tpl.name, format: 'v2', method: 'POST', url: tpl.path, body, v2Key: tpl.signer.apiV2Key, v2SignType: signType };
      });

  /** Category: APIv2 before authentication (every hostile XML shape, bad signatures, unknown merchants). */
  const v2PreArb = () =>
    fc
      .record({
        path: fc.constantFrom(...V2_PATHS),
        attack: fc.nat(11),
        xml: fc.constantFrom(...XML_ATTACKS),
        text: hostileText,
        key: hostileKey,
        raw: fc.constantFrom(...HOSTILE_BODIES),
        method: fc.constantFrom(...METHODS),
      })
      .map(({ path, attack, xml, text, key, raw, method }): Spec => {
        const base = { appid: M1.appid, mch_id: M1.mchid, nonce_str: 'abc', out_trade_no: 'FX2-NATIVE' };
        const signed = withSign(base, M1.apiV2Key);
        const note = `attack ${attack}`;
        const spec = (body: string | Buffer, m = 'POST'): Spec => ({ cat: 'v2-pre', note, format: 'v2', method: m, url: path, body });
        switch (attack) {
          case 0:
            return spec(
              xml.replace(
                '{{FIELDS}}',
                Object.entries(signed)
                  .map(([k, v]) => `<${k}>${v}</${k}>`)
                  .join(''),
              ),
            );
          case 1:
            return spec(raw);
          case 2:
            return spec(v2Xml({ ...base, sign: 'A'.repeat(32) }));
          case 3:
            return spec(v2Xml({ ...signed, sign: signed.sign!.toLowerCase().slice(1) }));
          case 4:
            return spec(v2Xml({ ...base, mch_id: pick([M2.mchid, SUB.mchid, '1', '9'.repeat(40), text], text.length), sign: signed.sign! }));
          case 5:
            return spec(v2Xml(withSign({ ...base, sign_type: pick(['HMAC-SHA1', 'md5', 'SHA256', text], text.length) }, M1.apiV2Key)));
          case 6:
            return spec(v2Xml(withSign({ ...base, nonce_str: pick(['', 'x'.repeat(33), text], text.length) }, M1.apiV2Key)));
          case 7:
            return spec(v2Xml(withSign({ ...base, appid: '' }, M1.apiV2Key)));
          case 8:
            return spec(v2Xml(withSign({ ...base, [key]: text }, M2.apiV2Key)));
          case 9:
            return spec(
              `<xml>${Object.entries(signed)
                .map(([k, v]) => `<${k}>${v}</${k}>`)
                .join('')}<out_trade_no>FX1-NATIVE</out_trade_no></xml>`,
            );
          case 10:
            return spec(v2Xml(signed), method === 'POST' ? 'GET' : method);
          default:
            return spec(
              `<xml>${Object.entries(signed)
                .map(([k, v]) => `<${k}>${v}</${k}>`)
                .join('')}<x>${text.replace(/[<&]/g, '')}</x></xml>`.replace('<xml>', pick(['<xml >', '<xml\n>', '<xml a="1">', '<XML>'], text.length)),
            );
        }
      });

  // ------------------------------------------- PayCloud

  interface PcTemplate {
    readonly name: string;
    readonly method: string;
    readonly base: (target: string, fresh: string) => Record<string, string>;
    readonly targets: readonly string[];
    readonly poisons: readonly ((p: Record<string, string>) => void)[];
  }

  const pcTemplates = (): PcTemplate[] => {
    const own = OWN.M1!;
    const foreign = FOREIGN_NOS().filter((n) => !own.includes(n));
    const createPoisons: ((p: Record<string, string>) => void)[] = [
      (p) => {
        p.merchant_order_no = pick(own, len(p.merchant_order_no));
      },
      (p) => {
        p.trans_amount = pick(['0', '-1', '1.001', 'abc', '1e3', '0.00', '99999999999999999999', ' 1'], len(p.merchant_order_no));
        delete p.order_amount;
      },
      (p) => {
        p.price_currency = pick(['XXX', 'cny', 'CNYY'], len(p.merchant_order_no));
      },
      (p) => {
        p.merchant_no = M2.mchid;
      },
      (p) => {
        p.pay_method_id = 'Bitcoin';
      },
      (p) => {
        p.expires = pick(['0', '-5', 'abc', '999999999'], len(p.merchant_order_no));
      },
      (p) => {
        p.notify_url = 'ftp://x';
      },
      // PayCloud order numbers may be up to 64 characters (WeChat's only 32): 65 is the over-long one here.
      (p) => {
        p.merchant_order_no = pick(
          BAD_NOS.map((n) => (n === 'x'.repeat(33) ? 'x'.repeat(65) : n)),
          len(p.description),
        );
      },
      (p) => {
        p.description = '😀 astral';
      },
    ];
    return [
      {
        name: 'bscanc.pay.submit',
        method: 'bscanc.pay.submit',
        targets: [''],
        base: (_t, fresh) => ({ merchant_order_no: fresh, price_currency: 'CNY', trans_amount: '1.00', auth_code: '134567890123456789', description: 'fuzz' }),
        poisons: [
          ...createPoisons,
          (p) => {
            delete p.auth_code;
          },
        ],
      },
      {
        name: 'cscanb.pay.getqrcode',
        method: 'cscanb.pay.getqrcode',
        targets: [''],
        base: (_t, fresh) => ({ merchant_order_no: fresh, price_currency: 'CNY', trans_amount: '1.00', pay_method_id: 'WeChatPay', description: 'fuzz' }),
        poisons: [
          ...createPoisons,
          (p) => {
            delete p.pay_method_id;
          },
        ],
      },
      {
        name: 'pay.unifiedorder',
        method: 'pay.unifiedorder',
        targets: [''],
        base: (_t, fresh) => ({
          merchant_order_no: fresh,
          price_currency: 'CNY',
          trans_amount: '1.00',
          pay_method_id: 'WeChatPay',
          terminal_type: 'WAP',
          description: 'fuzz',
        }),
        poisons: [
          ...createPoisons,
          (p) => {
            p.terminal_type = 'TV';
          },
          (p) => {
            p.return_url = 'javascript:alert(1)';
          },
        ],
      },
      { name: 'order.query', method: 'order.query', targets: foreign, base: (no) => ({ merchant_order_no: no }), poisons: [] },
      {
        name: 'order.query by trans_no',
        method: 'order.query',
        targets: [
          '1',
          '99999999999999999999',
          ...Object.entries(fixture.txn)
            .filter(([no]) => !own.includes(no))
            .map(([, id]) => id),
        ],
        base: (no) => ({ trans_no: no }),
        poisons: [],
      },
      { name: 'order.revoker', method: 'order.revoker', targets: [...own, ...foreign], base: (no) => ({ merchant_order_no: no }), poisons: [] },
      {
        name: 'order.refund.submit',
        method: 'order.refund.submit',
        targets: [...own, ...foreign],
        base: (no, fresh) => ({ orig_merchant_order_no: no, merchant_order_no: fresh, price_currency: 'CNY', trans_amount: '0.01' }),
        poisons: [
          (p) => {
            p.price_currency = 'USD';
          },
          (p) => {
            p.trans_amount = '100000';
          },
          (p) => {
            p.merchant_order_no = pick(refundsOf(own), len(p.orig_merchant_order_no));
          },
          (p) => {
            p.orig_merchant_order_no = pick(foreign, len(p.merchant_order_no));
            delete p.orig_trans_no;
          },
          (p) => {
            p.merchant_no = M2.mchid;
          },
        ],
      },
      {
        name: 'order.refund.query',
        method: 'order.refund.query',
        targets: [...fixture.refundNos.filter((n) => !n.startsWith('FX1')), 'NOPE-R'],
        base: (no) => ({ merchant_order_no: no }),
        poisons: [],
      },
      { name: 'unknown method', method: 'order.close', targets: [''], base: () => ({ merchant_order_no: 'FX1-NATIVE' }), poisons: [] },
    ];
  };

  /** Category: PayCloud requests signed by M1's app, with mutations and a poison (or envelope attacks). */
  const pcBodyArb = (templates: PcTemplate[]) =>
    fc
      .record({
        t: fc.nat(templates.length - 1),
        target: fc.nat(),
        poison: fc.nat(),
        mutations: fc.array(textMutation, { maxLength: 3 }),
        json: fc.boolean(),
        envelope: fc.nat(9),
        path: fc.constantFrom('/api/entry', '/api/entry/', '/api/entry/cpm', '/api/entry/void', '/api/entry/refund', '/api/entry/zzz'),
        raw: fc.constantFrom(
          new Raw('1e400'),
          new Raw('1.0'),
          new Raw('-0'),
          new Raw('[1,{"a":[]}]'),
          new Raw('{"__proto__":{"x":1}}'),
          new Raw('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
          new Raw('null'),
          new Raw('true'),
        ),
      })
      .map((g): Spec => {
        const tpl = templates[g.t]!;
        const app = M1.paycloud as PayCloudAppKeys;
        const business = tpl.base(pick(tpl.targets, g.target), fresh('FZ'));
        mutate(business, g.mutations);
        const now = Date.now();
        const params: Record<string, string | Raw> = {
          app_id: app.appId,
          method: tpl.method,
          format: 'JSON',
          charset: 'UTF-8',
          sign_type: 'RSA2',
          version: '1.0',
          timestamp: String(now),
          merchant_no: app.merchantNo,
          ...business,
        };
        let signWith: Record<string, string | Raw> | undefined;
        let badSign = false;
        // Envelope attacks on top of a refused request: stale or future timestamps (validly signed), a JSON value the
        // signer saw differently, another app's merchant, foreign formats.
        switch (g.envelope) {
          case 0:
            params.timestamp = String(now - 16 * 60_000);
            break;
          case 1:
            params.timestamp = String(now + 16 * 60_000);
            break;
          case 2:
            params.timestamp = pick(['abc', '1e12', String(now).slice(0, 11), `${now}.0`], tpl.name.length);
            break;
          case 3:
            if (g.json) params.trans_amount = g.raw;
            break;
          case 4:
            signWith = { ...params, merchant_order_no: 'SIGNED-OTHER' };
            break;
          case 5:
            params.version = '2.0';
            break;
          case 6:
            params.app_id = (M2.paycloud as PayCloudAppKeys).appId;
            break;
          case 7:
            badSign = true;
            break;
          default:
            break;
        }
        // The poison last, so that no envelope edit can undo it.
        if (tpl.poisons.length > 0) pick(tpl.poisons, g.poison)(params as Record<string, string>);
        return {
          cat: 'pc-body',
          note: `${tpl.name} envelope ${g.envelope}`,
          format: 'pc',
          method: 'POST',
          url: g.path,
          pc: { params, json: g.json, signWith, badSign },
        };
      });

  /** Category: PayCloud before authentication: unsigned or foreign-signed envelopes, hostile JSON and forms. */
  const pcPreArb = () =>
    fc
      .record({
        attack: fc.nat(9),
        text: hostileText,
        key: hostileKey,
        raw: fc.constantFrom(...HOSTILE_BODIES),
        json: fc.jsonValue({ maxDepth: 3 }),
        contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', undefined, 'text/plain'),
      })
      .map(({ attack, text, key, raw, json, contentType }): Spec => {
        const app = M1.paycloud as PayCloudAppKeys;
        const env: Record<string, string> = {
          app_id: app.appId,
          method: 'order.query',
          format: 'JSON',
          charset: 'UTF-8',
          sign_type: 'RSA2',
          version: '1.0',
          timestamp: String(Date.now()),
          merchant_no: app.merchantNo,
          merchant_order_no: 'FX2-NATIVE',
          sign: 'c2lnbg==',
        };
        const headers = contentType ? { 'content-type': contentType } : undefined;
        const spec = (body: string | Buffer): Spec => ({
          cat: 'pc-pre',
          note: `attack ${attack}`,
          format: 'pc',
          method: 'POST',
          url: '/api/entry',
          headers,
          body,
        });
        switch (attack) {
          case 0:
            return spec(raw);
          case 1:
            return spec(JSON.stringify(json) ?? 'null');
          case 2:
            return spec(formEncode({ ...env, [key]: text }));
          case 3:
            return spec(JSON.stringify({ ...env, [key]: text }));
          case 4: {
            const e: Record<string, string> = { ...env };
            delete e[pick(['app_id', 'method', 'timestamp', 'sign'], text.length)];
            return spec(formEncode(e));
          }
          case 5:
            return spec(formEncode({ ...env, app_id: pick(['wz0000000000000000', '', text, (SUB as any).appid ?? 'x'], text.length) }));
          case 6:
            return spec(formEncode({ ...env, format: 'XML', charset: 'GBK', sign_type: pick(['RSA', 'NONE', 'MD5', text], text.length) }));
          case 7:
            return spec(`{"app_id":"${app.appId}","app_id":"x","method":"order.query","timestamp":"${Date.now()}","sign":"x"}`);
          case 8:
            return spec(
              `{"app_id":"${app.appId}","method":"order.query","timestamp":${Date.now()},"sign":"x","deep":${'['.repeat(40)}${']'.repeat(40)},"n":1e400}`,
            );
          default:
            return spec(`${formEncode(env)}&sign=second`);
        }
      });

  // ------------------------------------------- sandbox and unknown paths

  const sandboxArb = () =>
    fc
      .record({
        ep: fc.constantFrom(...endpoints().filter(([, p]) => p.startsWith('/sandbox'))),
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        token: fc.constantFrom<Record<string, string>>(
          {},
          { authorization: 'Bearer ' },
          { authorization: 'Bearer test-admin-token2' },
          { authorization: 'Bearer test-admin-tokeN' },
          { authorization: 'bearer test-admin-token' },
          { 'x-admin-token': 'nope' },
          { authorization: 'Basic dGVzdC1hZG1pbi10b2tlbg==' },
          { authorization: `Bearer ${'a'.repeat(5000)}` },
        ),
        body: fc.oneof(
          fc.constantFrom(...HOSTILE_BODIES.slice(0, 20)),
          fc.constant(Buffer.from('{"advance_seconds":1e9}')),
          fc.constant(Buffer.from('{"mode":"service_provider"}')),
        ),
      })
      .map(
        ({ ep, method, token, body }): Spec => ({
          cat: 'sandbox',
          note: 'no admin token',
          format: routeFormat('json', method, ep[0], false),
          method,
          url: ep[1],
          headers: { ...token, 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : body,
        }),
      );

  const unknownArb = () =>
    fc
      .record({
        segments: fc.array(
          fc.oneof(
            fc.constantFrom('v3', 'v2', 'pay', 'secapi', 'api', 'entry', 'sandbox', 'hk', '..', '.', '%2e%2e', '%00', '~', 'admin', '.env'),
            fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).map((s) => encodeURIComponent(s)),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        method: fc.constantFrom('GET', 'POST', 'DELETE'),
      })
      .map(
        ({ segments, method }): Spec => ({
          cat: 'unknown',
          note: 'path',
          format: 'any',
          method,
          url: `/${segments.join('/')}`,
          body: method === 'POST' ? '{}' : undefined,
        }),
      );

  // ---------------------------------------------------------------- the properties

  test('transport: hostile bodies, methods, content types and paths on every route', { timeout: 300_000 }, async () => {
    await fuzz('transport', 20_000, transportArb());
  });

  test('APIv3 authorization: truncated, duplicated, foreign, stale and replayed', { timeout: 300_000 }, async () => {
    await fuzz('v3-auth', 24_000, v3AuthArb(v3Templates()));
  });

  test('APIv3 bodies, authenticated: wrong types, huge numbers, __proto__, deep nesting, foreign ids', { timeout: 300_000 }, async () => {
    await fuzz('v3-body', 4_000, v3BodyArb(v3Templates()));
  });

  test('APIv2 before the signature: bombs, XXE, DOCTYPE, nesting, duplicates, foreign merchants', { timeout: 300_000 }, async () => {
    await fuzz('v2-pre', 20_000, v2PreArb());
  });

  test('APIv2 signed requests: every endpoint, every merchant mode, poisoned parameters', { timeout: 300_000 }, async () => {
    await fuzz('v2-body', 12_000, v2BodyArb(v2Templates()));
  });

  test('PayCloud before the signature: hostile JSON and forms, unknown apps, bad signatures', { timeout: 300_000 }, async () => {
    await fuzz('pc-pre', 8_000, pcPreArb());
  });

  test('PayCloud signed requests: every method, stale timestamps, foreign merchants, poisoned parameters', { timeout: 300_000 }, async () => {
    await fuzz('pc-body', 3_000, pcBodyArb(pcTemplates()));
  });

  test('sandbox without the admin token, and unknown paths', { timeout: 300_000 }, async () => {
    await fuzz('sandbox', 5_000, sandboxArb());
    await fuzz('unknown', 5_000, unknownArb());
  });

  test('totals: ≥ 100,000 requests, no 5xx, nothing accepted, no state change, no prototype pollution', async () => {
    const total = statuses.length;
    const ms = Object.values(perCategory).reduce((s, c) => s + c.ms, 0);
    console.log(`hostile input (${database.name}, seed ${SEED}): ${total} requests in ${(ms / 1000).toFixed(1)} s`);
    console.log(`hostile input: per category ${JSON.stringify(perCategory)}`);
    console.log(`hostile input: statuses ${JSON.stringify(histogram(statuses))}`);
    for (const p of problems.slice(0, 10)) console.log(`hostile input problem: ${JSON.stringify(p).slice(0, 1500)}`);
    if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, JSON.stringify(problems, null, 1));
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
    assert.deepEqual(snapshotDiff(before0, await storeSnapshot(gw.store.db)), []);
    assert.equal(
      problems.length,
      0,
      `${problems.length} problems: ${JSON.stringify(histogram(problems.flatMap((p) => p.problems.map((x) => x.slice(0, 60)))))}`,
    );
    if (SCALE >= 1) assert.ok(total >= 100_000, `${total} requests`);
  });
});
