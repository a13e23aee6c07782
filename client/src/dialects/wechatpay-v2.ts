/**
 * WeChat Pay APIv2: flat XML signed HMAC-SHA256 (or MD5) with the API key; `/secapi/pay/reverse` over mutual
 * TLS with the merchant's API client certificate. An answer is trusted only when `return_code=SUCCESS` and its
 * `sign` verifies; `return_code=FAIL` answers are unsigned by protocol and mean "outcome unknown".
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { send, TransportError, type TlsIdentity } from '../transport.ts';
import { flatXml, parseFlatXml } from '../xml.ts';
import type { CancelAnswer, DialectClient, DialectOptions, PayAnswer, PayParams, QueryAnswer, TradeState } from './answers.ts';

export type V2SignType = 'MD5' | 'HMAC-SHA256';

export function signV2(params: Record<string, string>, key: string, type: V2SignType): string {
  const stringA = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const temp = `${stringA}&key=${key}`;
  const digest = type === 'MD5' ? createHash('md5').update(temp, 'utf8') : createHmac('sha256', key).update(temp, 'utf8');
  return digest.digest('hex').toUpperCase();
}

export function verifyV2(params: Record<string, string>, key: string, type: V2SignType): boolean {
  if (!params.sign) return false;
  const a = Buffer.from(signV2(params, key, type));
  const b = Buffer.from(params.sign.toUpperCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

const TRADE_STATES = new Set<TradeState>(['SUCCESS', 'REFUND', 'NOTPAY', 'USERPAYING', 'PAYERROR', 'CLOSED', 'REVOKED']);
/** micropay err_codes where the payer's wallet refused: nothing was paid (v2 §6.1). */
const DECLINED = new Set(['NOTENOUGH', 'AUTHCODEEXPIRE', 'AUTH_CODE_ERROR', 'AUTH_CODE_INVALID', 'NOTSUPORTCARD', 'BUYER_MISMATCH', 'TRADE_ERROR', 'NOAUTH']);
/** closeorder refusals that mean "later": password still being typed, too early, system error. */
const CLOSE_RETRY = new Set(['USERPAYING', 'FREQUENCY_LIMITED', 'SYSTEMERROR', 'BIZERR_NEED_RETRY']);

type Verified = { ok: true; p: Record<string, string> } | { ok: false; code: string };

export function wechatpayV2(o: DialectOptions, signType: V2SignType = 'HMAC-SHA256'): DialectClient {
  const c = o.credentials;
  if (!c.apiV2Key) throw new Error('APIv2 needs apiV2Key');
  const key = c.apiV2Key;
  const plain = new URL(c.baseUrl);
  const secure = new URL(c.httpsBaseUrl ?? c.baseUrl);
  const ca = c.caCertificatePem ? { ca: c.caCertificatePem } : {};
  const clientCert: TlsIdentity = { ...ca, cert: c.apiV2ClientCertificatePem, key: c.apiV2ClientKeyPem };

  async function call(path: string, business: Record<string, string>, mtls = false): Promise<Verified> {
    const params: Record<string, string> = {
      appid: c.appid,
      mch_id: c.mchid,
      nonce_str: randomBytes(16).toString('hex'),
      ...business,
      ...(signType === 'HMAC-SHA256' ? { sign_type: signType } : {}),
    };
    params.sign = signV2(params, key, signType);
    let text: string;
    try {
      const url = new URL(path.slice(1), mtls ? secure : plain).toString();
      text = (
        await send({
          method: 'POST',
          url,
          headers: { 'content-type': 'text/xml; charset=utf-8' },
          body: flatXml(params),
          timeoutMs: o.requestTimeoutMs,
          tls: mtls ? clientCert : ca,
        })
      ).body;
    } catch (e) {
      if (e instanceof TransportError) return { ok: false, code: e.reason === 'timeout' ? 'TIMEOUT' : 'NETWORK' };
      throw e;
    }
    const p = parseFlatXml(text);
    if (!p) return { ok: false, code: 'UNPARSEABLE' };
    if (p.return_code !== 'SUCCESS') return { ok: false, code: `RETURN_FAIL: ${p.return_msg ?? ''}` };
    if (!verifyV2(p, key, signType)) return { ok: false, code: 'BAD_SIGNATURE' };
    // The answer must be about us (the protocol echoes appid and mch_id byte for byte).
    if (p.mch_id !== c.mchid || p.appid !== c.appid) return { ok: false, code: 'NOT_OUR_ANSWER' };
    return { ok: true, p };
  }

  return {
    dialect: 'wechatpay-v2',
    async pay(q: PayParams): Promise<PayAnswer> {
      const r = await call('/pay/micropay', {
        body: q.description,
        out_trade_no: q.outTradeNo,
        total_fee: String(q.amount),
        fee_type: q.currency,
        spbill_create_ip: '127.0.0.1',
        auth_code: q.authCode,
      });
      if (!r.ok) return { kind: 'unknown', code: r.code };
      if (r.p.result_code === 'SUCCESS') return { kind: 'paid', transactionId: r.p.transaction_id };
      const code = r.p.err_code ?? 'FAIL';
      if (code === 'USERPAYING') return { kind: 'paying' };
      if (DECLINED.has(code)) return { kind: 'declined', code };
      return { kind: 'unknown', code };
    },
    async query(no: string): Promise<QueryAnswer> {
      const r = await call('/pay/orderquery', { out_trade_no: no });
      if (!r.ok) return { kind: 'unknown', code: r.code };
      if (r.p.result_code !== 'SUCCESS') return r.p.err_code === 'ORDERNOTEXIST' ? { kind: 'not_found' } : { kind: 'unknown', code: r.p.err_code ?? 'FAIL' };
      const state = r.p.trade_state as TradeState;
      if (!TRADE_STATES.has(state)) return { kind: 'unknown', code: `TRADE_STATE_${state}` };
      // APIv2 shows payment details only while paid: a REVOKED order does not say whether money had moved.
      const paid = state === 'SUCCESS' || state === 'REFUND' ? true : state === 'REVOKED' ? undefined : false;
      return { kind: 'state', state, paid, transactionId: r.p.transaction_id };
    },
    async reverse(no: string): Promise<CancelAnswer> {
      const r = await call('/secapi/pay/reverse', { out_trade_no: no }, true);
      if (!r.ok) return { kind: 'retry', code: r.code };
      if (r.p.result_code === 'SUCCESS') return { kind: 'done' };
      const code = r.p.err_code ?? 'FAIL';
      if (r.p.recall === 'Y') return { kind: 'retry', code };
      if (code === 'ORDERNOTEXIST') return { kind: 'not_found' };
      // recall=N with SYSTEMERROR does not happen; a missing recall is treated as the protocol's "call again".
      if (r.p.recall !== 'N') return { kind: 'retry', code };
      return { kind: 'refused', code };
    },
    async close(no: string): Promise<CancelAnswer> {
      const r = await call('/pay/closeorder', { out_trade_no: no });
      if (!r.ok) return { kind: 'retry', code: r.code };
      if (r.p.result_code === 'SUCCESS') return { kind: 'done' };
      const code = r.p.err_code ?? 'FAIL';
      if (code === 'ORDERCLOSED') return { kind: 'done' };
      if (code === 'ORDERNOTEXIST') return { kind: 'not_found' };
      if (CLOSE_RETRY.has(code)) return { kind: 'retry', code };
      return { kind: 'refused', code };
    },
  };
}
