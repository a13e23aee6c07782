/**
 * APIv2 failure answers (wechatpay-v2.md §4, §6): the return layer (`return_code=FAIL`, unsigned, nothing echoed)
 * and the result layer (`result_code=FAIL` + `err_code`, signed, identity echoed), and the exhaustive map from core
 * refusals to result-layer codes.
 */
import { isRetryable, type CoreErrorCode, type PaymentFailure } from '../../core/errors.ts';

/** Request-level refusal: `<return_code>FAIL</return_code><return_msg>…</return_msg>` and nothing else. */
export class V2ReturnFail extends Error {
  constructor(readonly returnMsg: string) {
    super(returnMsg);
  }
}

/** Business-level refusal. `retryable` drives `recall` on reverse (Y = call reverse again). */
export class V2ResultFail extends Error {
  constructor(
    readonly errCode: string,
    readonly errCodeDes: string,
    readonly retryable = false,
  ) {
    super(`${errCode}: ${errCodeDes}`);
  }
}

/** The endpoints whose words differ for the same core refusal. */
export type V2Endpoint = 'micropay' | 'unifiedorder' | 'orderquery' | 'closeorder' | 'reverse' | 'refund' | 'refundquery';

const fail = (code: CoreErrorCode, errCode: string, des: string) => new V2ResultFail(errCode, des, isRetryable(code));

/**
 * Every core refusal in APIv2 words, per endpoint (cancellation-semantics.md §3, wechatpay-v2.md §6).
 * Exhaustive: a new core error does not compile until it is answered here.
 */
export function v2ErrorOf(code: CoreErrorCode, endpoint: V2Endpoint): V2ResultFail {
  const creating = endpoint === 'micropay' || endpoint === 'unifiedorder';
  const refunding = endpoint === 'refund';
  switch (code) {
    case 'ORDER_NOT_FOUND':
      if (endpoint === 'refundquery') return fail(code, 'REFUNDNOTEXIST', '退款订单查询失败');
      return refunding ? fail(code, 'ERROR', '订单不存在') : fail(code, 'ORDERNOTEXIST', '此交易订单号不存在');
    case 'REFUND_NOT_FOUND':
      return fail(code, 'REFUNDNOTEXIST', '退款订单查询失败');
    case 'ORDER_PAID':
      return fail(code, 'ORDERPAID', '该订单已支付');
    case 'ORDER_CLOSED':
      return refunding ? fail(code, 'ERROR', '订单已关闭，不能退款') : fail(code, 'ORDERCLOSED', '订单已关闭');
    case 'ORDER_REVOKED':
      if (refunding) return fail(code, 'ERROR', '订单已撤销，不能退款');
      // The matrix answers a close of a REVOKED order ORDERCLOSED; a new payment attempt learns it was reversed.
      return creating ? fail(code, 'ORDERREVERSED', '订单已撤销') : fail(code, 'ORDERCLOSED', '订单已撤销');
    case 'ORDER_NOT_PAID':
    case 'ORDER_PAY_FAILED':
      return fail(code, 'ERROR', '订单未支付，不能退款');
    case 'USER_PAYING':
      return fail(code, 'USERPAYING', endpoint === 'reverse' ? '用户支付中，不能撤销，请稍后重试' : '需要用户输入支付密码');
    case 'TOO_EARLY':
      return fail(code, 'FREQUENCY_LIMITED', endpoint === 'closeorder' ? '订单创建5分钟内不能关单，请稍后重试' : '操作过早，请稍后重试');
    case 'WINDOW_EXPIRED':
      return fail(code, 'REVERSE_EXPIRE', '订单已超过可撤销期限');
    case 'USE_REVERSE':
      return fail(code, 'INVALID_REQUEST', '付款码订单不支持关单，请使用撤销接口');
    case 'USE_REFUND':
      return fail(code, 'INVALID_REQUEST', '订单已支付或已退款，不能撤销，请使用退款接口');
    case 'PAYMENT_FAILED':
      return fail(code, 'TRADE_ERROR', '交易错误，请使用新的商户订单号');
    case 'IDEMPOTENCY_CONFLICT':
      return refunding ? fail(code, 'INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试') : fail(code, 'OUT_TRADE_NO_USED', '商户订单号重复');
    case 'TRADE_TYPE_CONFLICT':
      return fail(code, 'OUT_TRADE_NO_USED', '商户订单号重复');
    case 'REFUND_AMOUNT_EXCEEDED':
      return fail(code, 'ERROR', '累计退款金额大于支付金额');
    case 'REFUND_LIMIT_EXCEEDED':
      return fail(code, 'ERROR', '订单已经超过退款次数上限');
    case 'REFUND_WINDOW_EXPIRED':
      return fail(code, 'TRADE_OVERDUE', '订单已经超过退款期限');
    case 'AMOUNT_MISMATCH':
      return fail(code, 'INVALID_REQUEST', '订单金额与原订单不一致');
    case 'CURRENCY_MISMATCH':
      return fail(code, 'INVALID_REQUEST', '币种与原订单不一致');
    case 'MERCHANT_NOT_FOUND':
      return fail(code, 'MCHID_NOT_EXIST', '商户号不存在');
    case 'NO_AUTH':
      return fail(code, 'NOAUTH', '商户无此接口权限');
    case 'SYSTEM_ERROR':
      return fail(code, 'SYSTEMERROR', '系统错误，请稍后查询订单');
  }
}

/** A failed code payment (micropay), in the err_codes of §6.1. */
export function v2PaymentFailure(failure: PaymentFailure): V2ResultFail {
  switch (failure) {
    case 'NOT_ENOUGH':
      return new V2ResultFail('NOTENOUGH', '用户余额不足，请用户换卡支付');
    case 'AUTH_CODE_EXPIRED':
      return new V2ResultFail('AUTHCODEEXPIRE', '二维码已过期，请用户在微信上刷新后再试');
    case 'AUTH_CODE_INVALID':
      return new V2ResultFail('AUTH_CODE_INVALID', '请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)');
    case 'PAYER_ABANDONED':
      return new V2ResultFail('TRADE_ERROR', '用户取消支付');
    case 'SYSTEM_ERROR':
      // The outcome is unknown to the merchant: query, then reverse (§6.1 merchant guidance).
      return new V2ResultFail('SYSTEMERROR', '系统超时，请查询订单确认支付结果', true);
  }
}

/** `PARAM_ERROR` (or `LACK_PARAMS` for a missing field on unifiedorder) naming the field. */
export function paramError(des: string, missing = false, endpoint?: V2Endpoint): V2ResultFail {
  return new V2ResultFail(missing && endpoint === 'unifiedorder' ? 'LACK_PARAMS' : 'PARAM_ERROR', des);
}
