/** Mainland refunds: create and query by out_refund_no (spec §7.6). */
import type { FastifyInstance } from 'fastify';
import { isCoreError } from '../../../core/errors.ts';
import type { OrderRef } from '../../../core/ports.ts';
import { canonicalJson, sha256Hex } from '../../../lib/crypto.ts';
import { queryRefund } from '../../../operations/query-refund.ts';
import { refundOrder } from '../../../operations/refund-order.ts';
import type { GatewayDeps } from '../../../server-deps.ts';
import { BodyReader, OUT_REFUND_NO, OUT_TRADE_NO, parseJsonObject } from '../body.ts';
import { paramError, v3ErrorOf } from '../errors.ts';
import { refundScope } from '../merchant-scope.ts';
import { operationContext, rawBody, sendJson } from '../request-context.ts';
import { refundView } from '../views.ts';

/** An unknown order is an unknown resource for the refund API (404 RESOURCE_NOT_EXISTS). */
function asRefundError(err: unknown): unknown {
  if (isCoreError(err) && err.code === 'ORDER_NOT_FOUND') return v3ErrorOf('REFUND_NOT_FOUND');
  return err;
}

export function refundRoutes(deps: GatewayDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post('/v3/refund/domestic/refunds', async (request, reply) => {
      const json = parseJsonObject(rawBody(request));
      const body = new BodyReader(json);
      const mchid = await refundScope(deps, request, body.string('sub_mchid', false, { max: 32 }));
      const transactionId = body.string('transaction_id', false, { max: 32 });
      const outTradeNo = body.string('out_trade_no', false, { pattern: OUT_TRADE_NO });
      const order: OrderRef | null = transactionId ? { mchid, transactionId } : outTradeNo ? { mchid, outTradeNo } : null;
      if (!order) throw paramError('/out_trade_no', null, 'transaction_id和out_trade_no必须二选一', 'body');
      const amount = body.object('amount', true);
      const command = {
        order,
        outRefundNo: body.string('out_refund_no', true, { pattern: OUT_REFUND_NO }),
        amount: amount.amount('refund'),
        statedTotal: amount.amount('total'),
        currency: amount.currency('currency', null),
        reason: body.string('reason', false, { max: 80 }),
        notifyUrl: body.string('notify_url', false, { max: 256, pattern: /^https?:\/\/\S+$/ }),
        fingerprint: sha256Hex(canonicalJson(json)),
      };
      const result = await refundOrder(operationContext(deps, request), command, 'wechatV3').catch((err) => {
        throw asRefundError(err);
      });
      return sendJson(reply, 200, refundView(result.refund, result.order));
    });

    app.get<{ Params: { no: string } }>('/v3/refund/domestic/refunds/:no', async (request, reply) => {
      const outRefundNo = request.params.no;
      if (!OUT_REFUND_NO.test(outRefundNo)) throw paramError('out_refund_no', outRefundNo, 'out_refund_no格式错误', 'url');
      const sub = (request.query as Record<string, unknown>).sub_mchid;
      const mchid = await refundScope(deps, request, typeof sub === 'string' && sub !== '' ? sub : null);
      const view = await queryRefund(operationContext(deps, request), mchid, { outRefundNo });
      return sendJson(reply, 200, refundView(view.refund, view.order));
    });
  };
}
