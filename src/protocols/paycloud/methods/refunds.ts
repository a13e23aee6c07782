/** order.refund.submit and order.refund.query (paycloud-openapi.md §8.5, §8.6). */
import { queryRefund } from '../../../operations/query-refund.ts';
import { refundOrder } from '../../../operations/refund-order.ts';
import { invalidParameter } from '../errors.ts';
import { orderRefOf, type MethodHandler } from '../method-call.ts';
import { MERCHANT_ORDER_NO, TRANS_NO } from '../params.ts';
import { refundData } from '../views.ts';

/** A partial or full refund; the refund's own `merchant_order_no` is its idempotency key (out_refund_no). */
const submit: MethodHandler = async (call) => {
  const p = call.params;
  const order = orderRefOf(call, 'orig_');
  const outRefundNo = p.string('merchant_order_no', true, { pattern: MERCHANT_ORDER_NO });
  const currency = p.currency('price_currency');
  const amount = p.amount(currency);
  const result = await refundOrder(
    call.ctx,
    {
      order,
      outRefundNo,
      amount,
      currency,
      statedTotal: null,
      reason: p.string('description', false, { max: 256 }),
      notifyUrl: p.url('notify_url'),
      fingerprint: p.fingerprint(amount),
    },
    'paycloud',
  );
  return refundData(result.refund, result.order);
};

/** A merchant refund by its trans_no or merchant_order_no; refunds a void performed are never found (§8.4). */
const query: MethodHandler = async (call) => {
  const p = call.params;
  const transNo = p.string('trans_no', false, { pattern: TRANS_NO });
  const no = transNo ? null : p.string('merchant_order_no', false, { pattern: MERCHANT_ORDER_NO });
  const ref = transNo ? { refundId: transNo } : no ? { outRefundNo: no } : null;
  if (!ref) throw invalidParameter('Missing required parameter merchant_order_no or trans_no');
  const view = await queryRefund(call.ctx, call.merchant.mchid, ref);
  return refundData(view.refund, view.order);
};

export const REFUND_METHODS: Readonly<Record<string, MethodHandler>> = {
  'order.refund.submit': submit,
  'order.refund.query': query,
};
