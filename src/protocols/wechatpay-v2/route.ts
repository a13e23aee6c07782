/** What an APIv2 endpoint receives once the request is authenticated, and what it declares about itself. */
import { isCoreError } from '../../core/errors.ts';
import type { OrderRef } from '../../core/ports.ts';
import type { OperationContext } from '../../operations/context.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { paramError, V2ResultFail, type V2Endpoint } from './errors.ts';
import type { V2Caller } from './identity.ts';
import { OUT_TRADE_NO, TRANSACTION_ID, type ParamReader } from './params.ts';
import type { SignTypeV2 } from './sign.ts';
import type { V2Fields } from './views.ts';

export interface V2Call {
  readonly deps: GatewayDeps;
  readonly ctx: OperationContext;
  readonly caller: V2Caller;
  readonly params: Readonly<Record<string, string>>;
  readonly reader: ParamReader;
  /** The request's algorithm: answers and (later) notifications of orders it creates are signed with it. */
  readonly signType: SignTypeV2;
}

export interface V2Route {
  readonly path: string;
  readonly endpoint: V2Endpoint;
  /** The endpoint's own fields of a `result_code=SUCCESS` answer; refusals are thrown. */
  handle(call: V2Call): Promise<V2Fields>;
}

/** An order named by `transaction_id` or `out_trade_no`; `transaction_id` wins when both are sent (§6.3, §6.5). */
export function orderRefOf(reader: ParamReader, mchid: string): OrderRef & { readonly byTransactionId: boolean } {
  const transactionId = reader.text('transaction_id', false, { pattern: TRANSACTION_ID });
  const outTradeNo = reader.text('out_trade_no', false, { pattern: OUT_TRADE_NO });
  if (transactionId) return { mchid, transactionId, byTransactionId: true };
  if (outTradeNo) return { mchid, outTradeNo, byTransactionId: false };
  throw paramError('transaction_id和out_trade_no必须二选一');
}

/** An unknown `transaction_id` has its own code on reverse and refund (§6.5, §6.6). */
export function unknownTransactionAs(err: unknown, byTransactionId: boolean): unknown {
  if (byTransactionId && isCoreError(err) && err.code === 'ORDER_NOT_FOUND') {
    return new V2ResultFail('INVALID_TRANSACTIONID', '无效transaction_id');
  }
  return err;
}

/** Rethrows `err` through `map`; used as `.catch(rethrow(…))` so operations stay one expression. */
export function rethrow(map: (err: unknown) => unknown) {
  return (err: unknown): never => {
    throw map(err);
  };
}
