/**
 * PayCloud OpenAPI: one signed entry point, `method` selects the operation; requests SHA256withRSA with the app
 * key over the sorted `k=v&…` of non-empty fields; every answer is an envelope `{code,msg,psn,data,sign}` signed
 * with the gateway key. An envelope that does not verify means "outcome unknown".
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { majorUnits } from '../money.ts';
import { send, TransportError } from '../transport.ts';
import type { CancelAnswer, DialectClient, DialectOptions, PayAnswer, PayParams, QueryAnswer, TradeState } from './answers.ts';
import { fieldsOf, stringOf, type JsonFields } from './answers.ts';

export function signingString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k.toLowerCase() !== 'sign' && params[k] !== '' && params[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** trans_status → the WeChat-style state the sequence reasons about (PayCloud §7). */
const STATE_OF: Record<number, TradeState> = { 9: 'NOTPAY', 0: 'USERPAYING', 1: 'PAYERROR', 2: 'SUCCESS', 3: 'REVOKED' };

type Verified = { ok: true; code: string; data: JsonFields } | { ok: false; code: string };

export function paycloud(o: DialectOptions): DialectClient {
  const app = o.credentials.paycloud;
  if (!app) throw new Error('PayCloud needs credentials.paycloud (appId, merchantNo, app private key, gateway public key)');
  const { appId, merchantNo } = app;
  const appKey = createPrivateKey({ key: Buffer.from(app.appPrivateKeyPkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
  const gatewayKey = createPublicKey({ key: Buffer.from(app.gatewayPublicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
  const url = new URL('api/entry', o.credentials.baseUrl).toString();
  const ca = o.credentials.caCertificatePem ? { ca: o.credentials.caCertificatePem } : undefined;

  async function call(method: string, business: Record<string, string>): Promise<Verified> {
    const params: Record<string, string> = {
      app_id: appId,
      method,
      format: 'JSON',
      charset: 'UTF-8',
      sign_type: 'RSA2',
      version: '1.0',
      timestamp: String(o.wallNow()),
      merchant_no: merchantNo,
      ...business,
    };
    params.sign = sign('sha256', Buffer.from(signingString(params), 'utf8'), appKey).toString('base64');
    const body = Object.entries(params)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    let text: string;
    try {
      text = (
        await send({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body,
          timeoutMs: o.requestTimeoutMs,
          tls: ca,
        })
      ).body;
    } catch (e) {
      if (e instanceof TransportError) return { ok: false, code: e.reason === 'timeout' ? 'TIMEOUT' : 'NETWORK' };
      throw e;
    }
    let env: JsonFields;
    try {
      env = fieldsOf(JSON.parse(text));
    } catch {
      return { ok: false, code: 'UNPARSEABLE' };
    }
    if (typeof env.code !== 'string' || typeof env.data !== 'string' || typeof env.sign !== 'string') return { ok: false, code: 'UNSIGNED' };
    const signed = signingString({ code: env.code, data: env.data, msg: String(env.msg ?? ''), psn: String(env.psn ?? '') });
    if (!verify('sha256', Buffer.from(signed, 'utf8'), gatewayKey, Buffer.from(env.sign, 'base64'))) return { ok: false, code: 'BAD_SIGNATURE' };
    try {
      return { ok: true, code: env.code, data: fieldsOf(JSON.parse(env.data)) };
    } catch {
      return { ok: false, code: 'UNPARSEABLE_DATA' };
    }
  }

  async function cancel(no: string): Promise<CancelAnswer> {
    const r = await call('order.revoker', { merchant_order_no: no });
    if (!r.ok) return { kind: 'retry', code: r.code };
    switch (r.code) {
      case '0':
        return { kind: 'done' };
      case '2005':
      case '2007':
      case '9999':
        return { kind: 'retry', code: r.code };
      case '2001':
        return { kind: 'not_found' };
      default:
        return { kind: 'refused', code: r.code };
    }
  }

  return {
    dialect: 'paycloud',
    async pay(p: PayParams): Promise<PayAnswer> {
      const r = await call('bscanc.pay.submit', {
        auth_code: p.authCode,
        merchant_order_no: p.outTradeNo,
        price_currency: p.currency,
        trans_amount: majorUnits(p.amount, p.currency),
        description: p.description,
        pay_method_id: 'WeChatPay',
        ...(app.storeNo ? { store_no: app.storeNo } : {}),
      });
      if (!r.ok) return { kind: 'unknown', code: r.code };
      if (r.code !== '0') return { kind: 'unknown', code: r.code };
      switch (r.data.trans_status) {
        case 2:
          return { kind: 'paid', transactionId: stringOf(r.data.trans_no) };
        case 0:
          return { kind: 'paying' };
        // A request that made the order answers 0 even when the payment failed (1): the wallet said no.
        case 1:
          return { kind: 'declined', code: String(r.data.trans_error_code ?? 'FAILED') };
        default:
          return { kind: 'unknown', code: `TRANS_STATUS_${r.data.trans_status}` };
      }
    },
    async query(no: string): Promise<QueryAnswer> {
      const r = await call('order.query', { merchant_order_no: no });
      if (!r.ok) return { kind: 'unknown', code: r.code };
      if (r.code === '2001') return { kind: 'not_found' };
      if (r.code !== '0') return { kind: 'unknown', code: r.code };
      const status = r.data.trans_status;
      const state = typeof status === 'number' ? STATE_OF[status] : undefined;
      if (!state) return { kind: 'unknown', code: `TRANS_STATUS_${r.data.trans_status}` };
      // A cancelled (3) order does not show whether it had been paid.
      const paid = state === 'SUCCESS' ? true : state === 'REVOKED' ? undefined : false;
      return { kind: 'state', state, paid, transactionId: stringOf(r.data.trans_no) };
    },
    reverse: cancel,
    close: cancel,
  };
}
