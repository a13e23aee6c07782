/**
 * The handles a WeChat Pay create answer gives the merchant for its payer — prepay_id (JSAPI/APP), code_url
 * (NATIVE), h5/mweb URL (MWEB) — shared by APIv2 and APIv3. Made once per order and stored in `order.extra`, so
 * a replayed create answers the same ones whichever dialect made the order.
 */
import { randomBytes } from 'node:crypto';
import type { TradeType } from '../core/order.ts';

export interface PaymentHandles {
  readonly prepayId: string;
  readonly codeUrl?: string;
  readonly h5Url?: string;
}

export function paymentHandles(tradeType: TradeType): PaymentHandles {
  const prepayId = `wx${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(10).toString('hex')}`;
  return {
    prepayId,
    ...(tradeType === 'NATIVE' ? { codeUrl: `weixin://wxpay/bizpayurl?pr=${randomBytes(5).toString('hex')}` } : {}),
    ...(tradeType === 'MWEB'
      ? { h5Url: `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${prepayId}&package=${randomBytes(4).readUInt32BE(0)}` }
      : {}),
  };
}

/** A stored handle, if the order has it. */
export function storedHandle(extra: Readonly<Record<string, unknown>>, name: keyof PaymentHandles): string | undefined {
  return typeof extra[name] === 'string' ? (extra[name] as string) : undefined;
}
