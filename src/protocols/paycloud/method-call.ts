/** What a PayCloud method handler gets: the authenticated app and merchant, its parameters, and an operation context. */
import type { Merchant } from '../../core/merchant.ts';
import type { OrderRef } from '../../core/ports.ts';
import type { OperationContext } from '../../operations/context.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import type { PayCloudApp } from '../../store/paycloud-apps.ts';
import { invalidParameter } from './errors.ts';
import { MERCHANT_ORDER_NO, TRANS_NO, type ParamReader } from './params.ts';

export interface MethodCall {
  readonly deps: GatewayDeps;
  readonly ctx: OperationContext;
  /** The merchant the app belongs to; `merchant_no` was checked against it. */
  readonly merchant: Merchant;
  readonly app: PayCloudApp;
  readonly params: ParamReader;
}

/** A method answers its `data` object or throws (PayCloudError, CoreError). */
export type MethodHandler = (call: MethodCall) => Promise<Record<string, unknown>>;

/**
 * An order named by `<prefix>trans_no` or `<prefix>merchant_order_no`; the gateway's number wins when both are
 * sent (§8.3, P).
 */
export function orderRefOf(call: MethodCall, prefix = ''): OrderRef {
  const mchid = call.merchant.mchid;
  const transNo = call.params.string(`${prefix}trans_no`, false, { pattern: TRANS_NO });
  if (transNo) return { mchid, transactionId: transNo };
  const no = call.params.string(`${prefix}merchant_order_no`, false, { pattern: MERCHANT_ORDER_NO });
  if (no) return { mchid, outTradeNo: no };
  throw invalidParameter(`Missing required parameter ${prefix}merchant_order_no or ${prefix}trans_no`);
}
