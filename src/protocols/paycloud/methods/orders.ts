/** order.query and order.revoker (paycloud-openapi.md §8.3, §8.4). */
import { queryOrder } from '../../../operations/query-order.ts';
import { voidOrder } from '../../../operations/void-order.ts';
import { orderRefOf, type MethodHandler } from '../method-call.ts';
import { orderData } from '../views.ts';

/** The order as it is now (expiry and the payer's answer applied first). */
const query: MethodHandler = async (call) => orderData(await queryOrder(call.ctx, orderRefOf(call)));

/**
 * Void (the Cancel order page): every outcome comes from voidOrder and the 'paycloud' rules — a repeat answers
 * the same `0`; the refund a void performs sends no notification (§8.4).
 */
const revoke: MethodHandler = async (call) => {
  await voidOrder(call.ctx, orderRefOf(call));
  return {};
};

export const ORDER_METHODS: Readonly<Record<string, MethodHandler>> = {
  'order.query': query,
  'order.revoker': revoke,
};
