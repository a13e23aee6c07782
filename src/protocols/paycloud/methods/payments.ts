/**
 * The payment methods (paycloud-openapi.md §8.1, §8.2, §8.7): a customer-presented code paid at once, and the
 * pre-orders a payer completes later (QR code, web/WAP page) through the sandbox payer.
 */
import { randomBytes } from 'node:crypto';
import { businessNow } from '../../../core/merchant.ts';
import type { TradeType } from '../../../core/order.ts';
import { createOrAnswerCurrent } from '../../../operations/answer-current-order.ts';
import { createOrder, type NewOrder } from '../../../operations/create-order.ts';
import { payByCode } from '../../../operations/pay-by-code.ts';
import { openidFor } from '../../../sandbox/payer.ts';
import { invalidParameter, PayCloudError } from '../errors.ts';
import { payChannelTransNo, payCloudIds } from '../ids.ts';
import type { MethodCall, MethodHandler } from '../method-call.ts';
import { MERCHANT_ORDER_NO } from '../params.ts';
import { codePaymentData, preOrderData, type PayCloudOrderExtra } from '../views.ts';

/** §7 pay_method_id values tradegate accepts (case-sensitive, P); anything else is 1001. */
const PAY_METHODS: ReadonlySet<string> = new Set([
  'WeChatPay',
  'Alipay',
  'Alipay+',
  'AlipayHK',
  'UnionPay',
  'Visa',
  'Mastercard',
  'JCB',
  'AmericanExpress',
  'DinersClub',
  'Discover',
  'PayPay',
  'LINEPay',
  'RakutenPay',
  'merpay',
  'auPAY',
  'dBarai',
]);

/** A WeChat Pay customer code: 18 digits starting 10–15 (§8.1: the pay_method_id when none is sent). */
const WECHAT_AUTH_CODE = /^1[0-5]\d{16}$/;

function payMethodOf(call: MethodCall, fallback: string | null): string {
  const sent = call.params.string('pay_method_id', false, { max: 32 });
  const id = sent ?? fallback;
  if (id === null) throw invalidParameter('Missing required parameter pay_method_id');
  if (!PAY_METHODS.has(id)) throw invalidParameter(`pay_method_id ${id} is not supported`);
  return id;
}

type Links = Pick<PayCloudOrderExtra, 'qrcodeUrl' | 'payUrl'>;

/** The fields every payment method shares, decoded into a NewOrder numbered at creation (its trans_no). */
function newOrderOf(call: MethodCall, tradeType: TradeType, payMethodId: string, payScenario: string, links: (transNo: string) => Links): NewOrder {
  const p = call.params;
  const outTradeNo = p.string('merchant_order_no', true, { pattern: MERCHANT_ORDER_NO });
  const currency = p.currency('price_currency');
  const amount = p.amount(currency);
  const expires = p.expiresSeconds();
  const now = businessNow(call.merchant, call.deps.clock.now());
  const transNo = payCloudIds.transactionId(now);
  const extra: PayCloudOrderExtra = {
    appId: call.app.appId,
    payMethodId,
    payScenario,
    storeNo: p.string('store_no', false, { max: 64 }),
    terminalSn: p.string('terminal_sn', false, { max: 64 }),
    ...links(transNo),
    payChannelTransNo: payChannelTransNo(now),
  };
  return {
    mchid: call.merchant.mchid,
    outTradeNo,
    tradeType,
    amount,
    currency,
    description: p.string('description', false, { max: 256 }) ?? '',
    attach: p.string('attach', false, { max: 512 }),
    notifyUrl: p.url('notify_url'),
    payerOpenid: null,
    timeExpire: expires === null ? null : now + expires * 1000,
    fingerprint: p.fingerprint(amount),
    extra: { ...extra },
    transactionId: transNo,
  };
}

const NO_LINKS: Links = { qrcodeUrl: null, payUrl: null };

/** bscanc.pay.submit: the merchant scans the payer's code; the answer is synchronous (§8.1). */
const codePayment: MethodHandler = async (call) => {
  const authCode = call.params.string('auth_code', true, { max: 128 });
  const payMethodId = payMethodOf(call, WECHAT_AUTH_CODE.test(authCode) ? 'WeChatPay' : null);
  const order = newOrderOf(call, 'MICROPAY', payMethodId, 'BSCANQR_PAY', () => NO_LINKS);
  const input = { ...order, payerOpenid: openidFor(order.mchid, authCode) };
  const result = await createOrAnswerCurrent(call.ctx, order, () => payByCode(call.ctx, input, call.deps.payer.presentCode(authCode), 'paycloud'));
  if (result.kind === 'current') return codePaymentData(result.order);
  // The injected "unknown outcome" (test codes …0005/…0006): the merchant must query, as with a real timeout.
  if (result.value.answer.kind === 'unknown') throw new PayCloudError('9999', 'System error, query the order for its result');
  return codePaymentData(result.value.order);
};

/** The pre-order methods: create (or replay) an unpaid order the payer completes later. */
function preOrder(tradeType: TradeType, scenarioOf: (call: MethodCall) => string, links: (transNo: string, method: string) => Links): MethodHandler {
  return async (call) => {
    const payMethodId = payMethodOf(call, null);
    const payScenario = scenarioOf(call);
    const order = newOrderOf(call, tradeType, payMethodId, payScenario, (transNo) => links(transNo, payMethodId));
    const result = await createOrAnswerCurrent(call.ctx, order, () => createOrder(call.ctx, order, 'paycloud'));
    return preOrderData(result.kind === 'current' ? result.order : result.value.order);
  };
}

/** cscanb.pay.getqrcode: the payer scans the merchant's QR code (§8.2). */
const qrCodeOrder = preOrder(
  'NATIVE',
  () => 'SCANQR_PAY',
  (transNo, method) => ({
    qrcodeUrl: method === 'WeChatPay' ? `weixin://wxpay/bizpayurl?pr=${randomBytes(5).toString('hex')}` : `https://qr.sandbox.tradegate.invalid/${transNo}`,
    payUrl: null,
  }),
);

/** pay.unifiedorder: a web or WAP payment page (§8.7); terminal_type picks the scenario. */
const webOrder = preOrder(
  'MWEB',
  (call) => {
    const terminal = call.params.string('terminal_type', false, { max: 8 }) ?? 'WAP';
    if (terminal !== 'WEB' && terminal !== 'WAP') throw invalidParameter('terminal_type must be WEB or WAP');
    call.params.url('return_url');
    return terminal === 'WEB' ? 'WEB_PAY' : 'WAP_PAY';
  },
  (transNo) => ({ qrcodeUrl: null, payUrl: `https://pay.sandbox.tradegate.invalid/checkout/${transNo}` }),
);

export const PAYMENT_METHODS: Readonly<Record<string, MethodHandler>> = {
  'bscanc.pay.submit': codePayment,
  'cscanb.pay.getqrcode': qrCodeOrder,
  'pay.unifiedorder': webOrder,
};
