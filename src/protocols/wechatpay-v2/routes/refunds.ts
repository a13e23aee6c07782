/**
 * `/secapi/pay/refund` (§6.6) and `/pay/refundquery` (§6.7). Refunds a reverse performed are not merchant
 * refunds: the operations never list them, so they answer REFUNDNOTEXIST here.
 */
import type { Order, Refund } from '../../../core/order.ts';
import { listOrderRefunds } from '../../../operations/list-refunds.ts';
import { queryOrder } from '../../../operations/query-order.ts';
import { queryRefund } from '../../../operations/query-refund.ts';
import { refundOrder } from '../../../operations/refund-order.ts';
import { V2ResultFail } from '../errors.ts';
import { fingerprintOf, OUT_REFUND_NO, OUT_TRADE_NO, REFUND_ID, TRANSACTION_ID } from '../params.ts';
import { orderRefOf, rethrow, unknownTransactionAs, type V2Call, type V2Route } from '../route.ts';
import { refundQueryView, refundView } from '../views.ts';

const refund: V2Route = {
  path: '/secapi/pay/refund',
  endpoint: 'refund',
  async handle({ ctx, caller, params, reader }) {
    const ref = orderRefOf(reader, caller.merchant.mchid);
    const outRefundNo = reader.text('out_refund_no', true, { pattern: OUT_REFUND_NO });
    const statedTotal = reader.amount('total_fee');
    const amount = reader.amount('refund_fee');
    const statedCurrency = reader.optionalCurrency('refund_fee_type');
    const reason = reader.text('refund_desc', false, { max: 80 });
    const notifyUrl = reader.notifyUrl(false);
    const byTxn = rethrow((err) => unknownTransactionAs(err, ref.byTransactionId));
    // refund_fee_type defaults to the order's own currency: read it (it never changes, so this cannot race).
    // The currency lookup is not the call's operation: the fault lab applies to the refund alone.
    const currency = statedCurrency ?? (await queryOrder({ ...ctx, faults: undefined }, ref).catch(byTxn)).currency;
    const result = await refundOrder(
      ctx,
      {
        order: ref,
        outRefundNo,
        amount,
        currency,
        statedTotal,
        reason,
        notifyUrl,
        fingerprint: fingerprintOf(params),
      },
      'wechatV2',
    ).catch(byTxn);
    return refundView(result.refund, result.order, caller.merchant);
  },
};

/** Page size of refundquery by order (P). */
export const REFUNDS_PER_PAGE = 10;

async function refundsOf({ ctx, caller, reader }: V2Call): Promise<{ order: Order; refunds: readonly Refund[]; total: number | null }> {
  const mchid = caller.merchant.mchid;
  // Priority of §6.7: refund_id > out_refund_no > transaction_id > out_trade_no.
  const refundId = reader.text('refund_id', false, { pattern: REFUND_ID });
  const outRefundNo = reader.text('out_refund_no', false, { pattern: OUT_REFUND_NO });
  const offset = reader.count('offset');
  const refundRef = refundId ? { refundId } : outRefundNo ? { outRefundNo } : null;
  if (refundRef) {
    const view = await queryRefund(ctx, mchid, refundRef);
    return { order: view.order, refunds: [view.refund], total: null };
  }
  const hasOrderKey = reader.text('transaction_id', false, { pattern: TRANSACTION_ID }) ?? reader.text('out_trade_no', false, { pattern: OUT_TRADE_NO });
  if (!hasOrderKey) throw new V2ResultFail('PARAM_ERROR', 'refund_id、out_refund_no、transaction_id、out_trade_no必须四选一');
  const { order, refunds } = await listOrderRefunds(ctx, orderRefOf(reader, mchid));
  const from = offset ?? 0;
  const page = refunds.slice(from, from + REFUNDS_PER_PAGE);
  // total_refund_count is returned when the caller pages (v2 docs).
  return { order, refunds: page, total: offset === null ? null : refunds.length };
}

const refundquery: V2Route = {
  path: '/pay/refundquery',
  endpoint: 'refundquery',
  async handle(call) {
    const { order, refunds, total } = await refundsOf(call);
    if (refunds.length === 0) throw new V2ResultFail('REFUNDNOTEXIST', '退款订单查询失败');
    return refundQueryView(order, call.caller.merchant, refunds, total);
  },
};

export const refundRoutes: readonly V2Route[] = [refund, refundquery];
