import { DEFAULT_SETTINGS, type Merchant } from '../../src/core/merchant.ts';
import { wechatIds } from '../../src/core/ids.ts';
import type { OrderRef } from '../../src/core/ports.ts';
import type { OperationContext } from '../../src/operations/context.ts';
import type { NewOrder } from '../../src/operations/create-order.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public t = Date.UTC(2026, 5, 1)) {}
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

export async function aMerchant(store: SqlStore, mchid = '1900000001'): Promise<Merchant> {
  const merchant: Merchant = {
    mchid,
    appid: 'wx0000000000000001',
    kind: 'direct',
    parentMchid: null,
    region: 'mainland',
    settings: DEFAULT_SETTINGS,
    clockOffsetMs: 0,
    secrets: null,
    createdAt: 0,
  };
  await store.insertMerchant(merchant);
  return merchant;
}

export function contextOf(store: SqlStore, clock: ManualClock): OperationContext {
  return { store, clock, ids: wechatIds, protocol: 'wechatpay-v3', requestId: 'TEST' };
}

export function newOrder(outTradeNo: string, patch: Partial<NewOrder> = {}): NewOrder {
  return {
    mchid: '1900000001',
    outTradeNo,
    tradeType: 'NATIVE',
    amount: 1000,
    currency: 'CNY',
    description: 'test',
    attach: null,
    notifyUrl: 'http://127.0.0.1:9/notify',
    payerOpenid: null,
    timeExpire: null,
    fingerprint: `fp-${outTradeNo}`,
    extra: {},
    ...patch,
  };
}

export const byNo = (outTradeNo: string, mchid = '1900000001'): OrderRef => ({ mchid, outTradeNo });
