/** APIv3 error answers: `{code, message, detail?}` with the documented HTTP status (spec §5). */
import type { CoreErrorCode, PaymentFailure } from '../../core/errors.ts';

export interface V3ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly detail?: Record<string, unknown>;
}

/** An answer that is not the success body. Thrown by routes, rendered by the plugin's error handler. */
export class V3Error extends Error {
  constructor(
    readonly status: number,
    readonly body: V3ErrorBody,
  ) {
    super(body.message);
  }
}

/** Close and reverse answer another method than POST with 405 (Mainland and Global alike). */
export function requirePost(): V3Error {
  return new V3Error(405, { code: 'REQUIRE_POST_METHOD', message: '请使用POST方法' });
}

export type ParamLocation = 'body' | 'url' | 'query';

/** 400 PARAM_ERROR naming the field: a JSON Pointer in the body, the parameter name in path and query. */
export function paramError(field: string, value: unknown, issue: string, location: ParamLocation): V3Error {
  return new V3Error(400, {
    code: 'PARAM_ERROR',
    message: `参数错误: ${issue}`,
    detail: { field, value: value === undefined ? null : value, issue, location },
  });
}

/** Which endpoint family answers: Mainland uses underscored codes; Global/HK close uses its page's spellings. */
export type V3Family = 'mainland' | 'global' | 'global-close';

const e = (status: number, code: string, message: string) => new V3Error(status, { code, message });

/** Every core refusal in APIv3 words. Exhaustive: a new core error does not compile until it is answered here. */
export function v3ErrorOf(code: CoreErrorCode, family: V3Family = 'mainland'): V3Error {
  const global = family !== 'mainland';
  const closeFamily = family === 'global-close';
  switch (code) {
    case 'ORDER_NOT_FOUND':
      return e(404, 'ORDER_NOT_EXIST', '订单不存在');
    case 'REFUND_NOT_FOUND':
      return e(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    case 'ORDER_PAID':
      return e(400, global ? 'ORDERPAID' : 'ORDER_PAID', '订单已支付');
    case 'ORDER_CLOSED':
      return e(400, closeFamily ? 'ORDERCLOSED' : 'ORDER_CLOSED', '订单已关闭');
    case 'ORDER_REVOKED':
      return e(400, closeFamily ? 'ORDERCLOSED' : 'ORDER_CLOSED', '订单已撤销');
    case 'ORDER_NOT_PAID':
    case 'ORDER_PAY_FAILED':
      return e(400, 'INVALID_REQUEST', '订单未支付，不能退款');
    case 'USER_PAYING':
      return e(202, 'USER_PAYING', '用户支付中，请稍后重试');
    case 'TOO_EARLY':
      return global ? e(429, 'RATE_LIMITED', '操作过早，请稍后重试') : e(429, 'FREQUENCY_LIMITED', '操作过早，请稍后重试');
    case 'WINDOW_EXPIRED':
      return e(400, 'REVERSE_EXPIRE', '订单已超过可撤销期限');
    case 'USE_REVERSE':
      return e(400, 'INVALID_REQUEST', '付款码订单不支持关单，请使用撤销接口');
    case 'USE_REFUND':
      return e(400, 'INVALID_REQUEST', '已支付订单不能撤销，请使用退款接口');
    case 'PAYMENT_FAILED':
      return e(403, 'TRADE_ERROR', '支付失败');
    case 'IDEMPOTENCY_CONFLICT':
      return e(400, 'INVALID_REQUEST', '参数与首次请求时不一致');
    case 'TRADE_TYPE_CONFLICT':
      return e(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
    case 'REFUND_AMOUNT_EXCEEDED':
      return e(400, 'INVALID_REQUEST', '退款金额超过订单可退金额');
    case 'REFUND_LIMIT_EXCEEDED':
      return e(400, 'INVALID_REQUEST', '订单退款次数已达上限');
    case 'REFUND_WINDOW_EXPIRED':
      return e(400, 'INVALID_REQUEST', '订单已超过退款期限');
    case 'AMOUNT_MISMATCH':
      return e(400, 'INVALID_REQUEST', '订单金额与原订单不一致');
    case 'CURRENCY_MISMATCH':
      return e(400, 'INVALID_REQUEST', '币种与原订单不一致');
    case 'MERCHANT_NOT_FOUND':
      return e(400, 'MCH_NOT_EXISTS', '商户号不存在');
    case 'NO_AUTH':
      return e(403, 'NO_AUTH', '无权操作该商户');
    case 'SYSTEM_ERROR':
      return closeFamily ? e(500, 'SYSTEMERROR', '系统错误') : e(500, 'SYSTEM_ERROR', '系统错误');
  }
}

/** A failed code payment, in APIv3 words (spec §7.2: the APIv2 err_code names, 403). */
export function v3PaymentFailure(failure: PaymentFailure): V3Error {
  switch (failure) {
    case 'NOT_ENOUGH':
      return e(403, 'NOT_ENOUGH', '用户账户余额不足');
    case 'AUTH_CODE_EXPIRED':
      return e(403, 'AUTHCODEEXPIRE', '二维码已过期，请用户在微信上刷新后再试');
    case 'AUTH_CODE_INVALID':
      return e(403, 'AUTH_CODE_INVALID', '付款码无效，请重新扫码');
    case 'PAYER_ABANDONED':
      return e(403, 'TRADE_ERROR', '用户取消支付');
    case 'SYSTEM_ERROR':
      return e(500, 'SYSTEM_ERROR', '系统错误');
  }
}
