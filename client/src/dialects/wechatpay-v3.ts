/**
 * WeChat Pay APIv3 (Mainland direct merchants and Global/HK): requests signed SHA256withRSA with the merchant
 * key; every answer verified with the platform certificate or platform public key named in `Wechatpay-Serial`.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { send, TransportError, type HttpAnswer } from '../transport.ts';
import type { CancelAnswer, DialectClient, DialectOptions, PayAnswer, PayParams, QueryAnswer, TradeState } from './answers.ts';
import { fieldsOf, short, stringOf, type JsonFields } from './answers.ts';

/** Answers whose signature time is further than this from our wall clock are not trusted (the SDKs use 300 s). */
const MAX_SKEW_S = 300;
const TRADE_STATES: ReadonlySet<unknown> = new Set<TradeState>(['SUCCESS', 'REFUND', 'NOTPAY', 'USERPAYING', 'PAYERROR', 'CLOSED', 'REVOKED']);
const isTradeState = (v: unknown): v is TradeState => TRADE_STATES.has(v);
/** Payer-side refusals of a code payment: the wallet said no, nothing was paid (v3 §7.2). */
const DECLINED = new Set([
  'NOT_ENOUGH',
  'AUTHCODEEXPIRE',
  'AUTH_CODE_INVALID',
  'AUTH_CODE_ERROR',
  'NOTSUPORTCARD',
  'BUYER_MISMATCH',
  'TRADE_ERROR',
  'USER_ACCOUNT_ABNORMAL',
]);
/** Cancel answers that mean "the same call later": 202 USER_PAYING, 429 (too early), 5xx. */
const RETRY_STATUS = (status: number) => status === 202 || status === 429 || status >= 500;

type Verified = { ok: true; status: number; json: JsonFields } | { ok: false; code: string };

export function wechatpayV3(o: DialectOptions, region: 'mainland' | 'global'): DialectClient {
  const c = o.credentials;
  if (!c.merchantPrivateKeyPem || !c.merchantSerialNo) throw new Error('APIv3 needs merchantPrivateKeyPem and merchantSerialNo');
  const merchantKey = createPrivateKey(c.merchantPrivateKeyPem);
  const platformKeys = new Map<string, KeyObject>();
  if (c.platformSerialNo && c.platformCertificatePem) platformKeys.set(c.platformSerialNo.toUpperCase(), createPublicKey(c.platformCertificatePem));
  if (c.platformPublicKeyId && c.platformPublicKeyPem) platformKeys.set(c.platformPublicKeyId.toUpperCase(), createPublicKey(c.platformPublicKeyPem));
  if (platformKeys.size === 0) throw new Error('APIv3 needs a platform certificate or platform public key to verify answers');
  // Public-key mode: name the key on every request, as WeChat Pay's docs say.
  const publicKeyMode = !c.platformCertificatePem && c.platformPublicKeyId;
  const base = new URL(c.baseUrl);

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Verified> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const timestamp = String(Math.floor(o.wallNow() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const signature = sign('sha256', Buffer.from(`${method}\n${path}\n${timestamp}\n${nonce}\n${text}\n`), merchantKey).toString('base64');
    const authorization = `WECHATPAY2-SHA256-RSA2048 mchid="${c.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${c.merchantSerialNo}"`;
    let answer: HttpAnswer;
    try {
      answer = await send({
        method,
        url: new URL(path.slice(1), base).toString(),
        timeoutMs: o.requestTimeoutMs,
        headers: {
          authorization,
          accept: 'application/json',
          'user-agent': '@tradegate/client',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(publicKeyMode ? { 'wechatpay-serial': c.platformPublicKeyId } : {}),
        },
        body: body === undefined ? undefined : text,
        tls: c.caCertificatePem ? { ca: c.caCertificatePem } : undefined,
      });
    } catch (e) {
      if (e instanceof TransportError) return { ok: false, code: e.reason === 'timeout' ? 'TIMEOUT' : 'NETWORK' };
      throw e;
    }
    return verifyAnswer(answer);
  }

  function verifyAnswer(a: HttpAnswer): Verified {
    const ts = a.headers['wechatpay-timestamp'];
    const nonce = a.headers['wechatpay-nonce'];
    const serial = a.headers['wechatpay-serial'];
    const sig = a.headers['wechatpay-signature'];
    if (!ts || !nonce || !serial || !sig) return { ok: false, code: `UNSIGNED_${a.status}` };
    const key = platformKeys.get(serial.toUpperCase());
    if (!key) return { ok: false, code: 'UNKNOWN_PLATFORM_SERIAL' };
    if (Math.abs(Number(ts) - o.wallNow() / 1000) > MAX_SKEW_S) return { ok: false, code: 'STALE_SIGNATURE' };
    if (!verify('sha256', Buffer.from(`${ts}\n${nonce}\n${a.body}\n`), key, Buffer.from(sig, 'base64'))) return { ok: false, code: 'BAD_SIGNATURE' };
    try {
      return { ok: true, status: a.status, json: a.body === '' ? {} : fieldsOf(JSON.parse(a.body)) };
    } catch (e) {
      return { ok: false, code: `UNPARSEABLE: ${short(e)}` };
    }
  }

  const global = region === 'global';
  const ids = { appid: c.appid, mchid: c.mchid };
  const enc = encodeURIComponent;

  function stateOf(json: JsonFields): QueryAnswer {
    const state = json.trade_state;
    if (!isTradeState(state)) return { kind: 'unknown', code: `TRADE_STATE_${state}` };
    const had = typeof json.success_time === 'string' || fieldsOf(json.amount).payer_total !== undefined;
    return { kind: 'state', state, paid: had, transactionId: stringOf(json.transaction_id) ?? stringOf(json.id) };
  }

  function cancelAnswer(r: Verified, success: number): CancelAnswer {
    if (!r.ok) return { kind: 'retry', code: r.code };
    if (r.status === success) return { kind: 'done' };
    const code = String(r.json.code ?? r.status);
    if (RETRY_STATUS(r.status)) return { kind: 'retry', code };
    if (r.status === 404) return { kind: 'not_found' };
    // Mainland answers a repeated close of a REVOKED order ORDER_CLOSED, Global ORDERCLOSED: the order is cancelled.
    if (r.status === 400 && (code === 'ORDER_CLOSED' || code === 'ORDERCLOSED')) return { kind: 'done' };
    return { kind: 'refused', code };
  }

  return {
    dialect: global ? 'wechatpay-global' : 'wechatpay-v3',
    async pay(p: PayParams): Promise<PayAnswer> {
      const body = {
        ...ids,
        description: p.description,
        out_trade_no: p.outTradeNo,
        payer: { auth_code: p.authCode },
        amount: { total: p.amount, currency: p.currency },
        scene_info: { store_info: { out_id: 'pos' } },
      };
      const r = await call('POST', global ? '/v3/global/micropay/transactions/pay' : '/v3/pay/transactions/codepay', body);
      if (!r.ok) return { kind: 'unknown', code: r.code };
      if (r.status === 200 && r.json.trade_state === 'SUCCESS') return { kind: 'paid', transactionId: stringOf(r.json.transaction_id) ?? stringOf(r.json.id) };
      if (r.status === 202) return { kind: 'paying' };
      const code = String(r.json.code ?? r.status);
      if (r.status === 403 && DECLINED.has(code)) return { kind: 'declined', code };
      // ORDER_PAID / ORDER_CLOSED on a repeat, 5xx, 429, anything else: only a query can tell.
      return { kind: 'unknown', code };
    },
    async query(no: string): Promise<QueryAnswer> {
      const path = global
        ? `/v3/global/transactions/out-trade-no/${enc(no)}?mchid=${enc(c.mchid)}`
        : `/v3/pay/transactions/out-trade-no/${enc(no)}?mchid=${enc(c.mchid)}`;
      const r = await call('GET', path);
      if (!r.ok) return { kind: 'unknown', code: r.code };
      if (r.status === 200) return stateOf(r.json);
      if (r.status === 404 && r.json.code === 'ORDER_NOT_EXIST') return { kind: 'not_found' };
      return { kind: 'unknown', code: String(r.json.code ?? r.status) };
    },
    async reverse(no: string): Promise<CancelAnswer> {
      if (global) return cancelAnswer(await call('POST', `/v3/global/micropay/transactions/out-trade-no/${enc(no)}/reverse`, { mchid: c.mchid }), 204);
      return cancelAnswer(await call('POST', `/v3/pay/transactions/out-trade-no/${enc(no)}/reverse`, ids), 200);
    },
    async close(no: string): Promise<CancelAnswer> {
      const path = global ? `/v3/global/transactions/out-trade-no/${enc(no)}/close` : `/v3/pay/transactions/out-trade-no/${enc(no)}/close`;
      return cancelAnswer(await call('POST', path, { mchid: c.mchid }), 204);
    },
  };
}
