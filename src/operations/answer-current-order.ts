import { CoreError, isCoreError, type CoreErrorCode } from '../core/errors.ts';
import type { Order, TradeType } from '../core/order.ts';
import type { OperationContext } from './context.ts';
import { queryOrder } from './query-order.ts';

/** What a create that may be a replay produced: its own result, or the order an identical earlier request made. */
export type CreateOrCurrent<T> = { readonly kind: 'created'; readonly value: T } | { readonly kind: 'current'; readonly order: Order };

/** The refusals the shared create path gives when the same number names an order that can no longer be paid. */
const SETTLED: ReadonlySet<CoreErrorCode> = new Set(['ORDER_PAID', 'ORDER_CLOSED', 'ORDER_REVOKED', 'PAYMENT_FAILED']);

/**
 * PayCloud idempotency (paycloud-openapi.md §9, cancellation-semantics.md §4 "Later payment"): the same request
 * again answers the order *as it is now* — paid, cancelled or closed — where WeChat refuses with ORDER_PAID /
 * ORDER_CLOSED. The order's trade type and fingerprint are immutable, so reading them after the refused create
 * cannot race: an identical request is a replay, anything else is IDEMPOTENCY_CONFLICT.
 */
export async function createOrAnswerCurrent<T>(
  ctx: OperationContext,
  request: { readonly mchid: string; readonly outTradeNo: string; readonly tradeType: TradeType; readonly fingerprint: string },
  create: () => Promise<T>,
): Promise<CreateOrCurrent<T>> {
  try {
    return { kind: 'created', value: await create() };
  } catch (err) {
    if (!isCoreError(err) || !SETTLED.has(err.code)) throw err;
    // Part of the create, not a query of its own: the fault lab has judged this call already.
    const order = await queryOrder({ ...ctx, faults: undefined }, { mchid: request.mchid, outTradeNo: request.outTradeNo });
    if (order.tradeType !== request.tradeType || order.fingerprint !== request.fingerprint) {
      throw new CoreError('IDEMPOTENCY_CONFLICT', 'merchant_order_no was used with other parameters');
    }
    return { kind: 'current', order };
  }
}
