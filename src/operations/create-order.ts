import { CoreError } from '../core/errors.ts';
import { businessNow, resolveRules, type MerchantProfile } from '../core/merchant.ts';
import type { Order, TradeType } from '../core/order.ts';
import { paymentRefusal } from '../core/policy.ts';
import type { StoreTx } from '../core/ports.ts';
import type { LifecycleRules, RuleSetName } from '../core/rules.ts';
import { settle } from '../core/settlement.ts';
import { historyEntry } from '../core/transition.ts';
import type { OperationContext } from './context.ts';
import { catchUpWithTime, merchantOrThrow } from './locked-order.ts';
import { withFaults } from './fault-plan.ts';

/** A new order as the adapter decoded it. Shapes are already validated by the adapter's decoder. */
export interface NewOrder {
  readonly mchid: string;
  readonly outTradeNo: string;
  readonly tradeType: TradeType;
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
  readonly attach: string | null;
  readonly notifyUrl: string | null;
  readonly payerOpenid: string | null;
  /** The merchant's time_expire (business time), capped by the rule set's longest lifetime. */
  readonly timeExpire: number | null;
  readonly fingerprint: string;
  readonly extra: Readonly<Record<string, unknown>>;
  /** Dialects that number orders at creation (PayCloud trans_no) pass the id; WeChat assigns it at payment. */
  readonly transactionId?: string;
}

export interface CreatedOrder {
  readonly order: Order;
  /** true: the same request was made before and this is its order. */
  readonly replayed: boolean;
}

/**
 * Builds the order row for `input` at business time `now`, under the operation's resolved rules. The settlement
 * (rate, payer currency and amount) is fixed here, once, at the merchant's market rate.
 */
export function buildOrder(ctx: OperationContext, input: NewOrder, now: number, rules: LifecycleRules, merchant: MerchantProfile): Order {
  return {
    id: ctx.ids.orderId(),
    mchid: input.mchid,
    outTradeNo: input.outTradeNo,
    transactionId: input.transactionId ?? null,
    tradeType: input.tradeType,
    state: 'NOTPAY',
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    attach: input.attach,
    notifyUrl: input.notifyUrl,
    payerOpenid: input.payerOpenid,
    fingerprint: input.fingerprint,
    protocol: ctx.protocol,
    createdAt: now,
    expiresAt: input.timeExpire === null ? now + rules.defaultOrderLifetime : Math.min(input.timeExpire, now + rules.maxOrderLifetime),
    paidAt: null,
    payerConfirmAt: null,
    payerDeadlineAt: null,
    failure: null,
    refundedAmount: 0,
    refundCount: 0,
    settlement: settle(input.amount, input.currency, merchant.settings.exchangeRate),
    extra: input.extra,
  };
}

/**
 * Inserts `order`, or, when its out_trade_no exists, loads and locks the existing one and checks that the
 * request is a replay of the one that made it. Returns the existing order for replays.
 */
export async function insertOrReplay(tx: StoreTx, ctx: OperationContext, order: Order): Promise<Order | null> {
  if (await tx.insertOrder(order)) {
    await tx.appendHistory(historyEntry(order, null, null, 'created', { protocol: ctx.protocol, requestId: ctx.requestId, at: order.createdAt }));
    return null;
  }
  const found = await tx.lockOrder({ mchid: order.mchid, outTradeNo: order.outTradeNo });
  if (!found) throw new CoreError('SYSTEM_ERROR', 'order vanished during idempotent create');
  const existing = await catchUpWithTime(tx, found, order.createdAt);
  const settled = existing.state;
  if (settled === 'SUCCESS' || settled === 'REFUND' || settled === 'CLOSED' || settled === 'REVOKED') {
    const refusal = paymentRefusal(settled);
    if (refusal) throw new CoreError(refusal);
  }
  if (existing.tradeType !== order.tradeType) throw new CoreError('TRADE_TYPE_CONFLICT');
  if (existing.fingerprint !== order.fingerprint) throw new CoreError('IDEMPOTENCY_CONFLICT');
  return existing;
}

/** Create an unpaid order (JSAPI, NATIVE, APP, MWEB). The same request again returns the same order. */
export function createOrder(ctx: OperationContext, input: NewOrder, ruleSet: RuleSetName): Promise<CreatedOrder> {
  return withFaults(ctx, 'create', input.outTradeNo, (ctx) =>
    ctx.store.transaction(async (tx) => {
      const merchant = await merchantOrThrow(tx, input.mchid);
      const order = buildOrder(ctx, input, businessNow(merchant, ctx.clock.now()), resolveRules(ruleSet, merchant), merchant);
      const existing = await insertOrReplay(tx, ctx, order);
      return existing ? { order: existing, replayed: true } : { order, replayed: false };
    }),
  );
}
