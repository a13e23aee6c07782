import { CoreError } from '../core/errors.ts';
import { businessNow, type MerchantProfile } from '../core/merchant.ts';
import type { Order } from '../core/order.ts';
import { timedTransition } from '../core/policy.ts';
import type { OrderRef, StoreTx } from '../core/ports.ts';
import { settledRefund } from '../core/transition.ts';
import { commit, SYSTEM } from './commit.ts';
import type { OperationContext } from './context.ts';

export interface LockedOrder {
  readonly merchant: MerchantProfile;
  readonly order: Order;
  /** Business time of the order's merchant. */
  readonly now: number;
}

const merchantNotFound = (mchid: string) => new CoreError('MERCHANT_NOT_FOUND', `merchant ${mchid} does not exist`);

export async function merchantOrThrow(tx: StoreTx, mchid: string): Promise<MerchantProfile> {
  const merchant = await tx.getMerchant(mchid);
  if (!merchant) throw merchantNotFound(mchid);
  return merchant;
}

/** The merchant and its order (locked inside a transaction), read together; throws when either is missing. */
export async function merchantOrderOrThrow(tx: StoreTx, ref: OrderRef): Promise<{ merchant: MerchantProfile; order: Order }> {
  const { merchant, order } = await tx.lockMerchantOrder(ref);
  if (!merchant) throw merchantNotFound(ref.mchid);
  if (!order) throw new CoreError('ORDER_NOT_FOUND', 'order does not exist');
  return { merchant, order };
}

/**
 * Loads and locks an order, then applies what time has done to it (expiry, the payer's answer, refund
 * settlement) so that every decision sees the order as it is now. Throws ORDER_NOT_FOUND.
 */
export async function lockCurrentOrder(tx: StoreTx, ctx: OperationContext, ref: OrderRef): Promise<LockedOrder> {
  const { merchant, order: found } = await merchantOrderOrThrow(tx, ref);
  const now = businessNow(merchant, ctx.clock.now());
  const order = await catchUpWithTime(tx, found, now);
  return { merchant, order, now };
}

/** Persists the transitions time alone has caused on a locked order. */
export async function catchUpWithTime(tx: StoreTx, order: Order, now: number): Promise<Order> {
  let current = order;
  for (let t = timedTransition(current, now); t; t = timedTransition(current, now)) {
    const patch = t.event === 'fail' ? { failure: 'PAYER_ABANDONED' as const } : {};
    current = await commit(tx, SYSTEM, { order: current, event: t.event, cause: t.cause, at: t.at, patch });
  }
  if (current.refundCount > 0) {
    for (const refund of await tx.listRefunds(current.id)) {
      const settled = settledRefund(refund, now);
      if (settled) await tx.updateRefund(settled);
    }
  }
  return current;
}

/** Runs `decide` on the locked, current order inside one transaction. */
export function withCurrentOrder<T>(ctx: OperationContext, ref: OrderRef, decide: (tx: StoreTx, locked: LockedOrder) => Promise<T>): Promise<T> {
  return ctx.store.transaction(async (tx) => decide(tx, await lockCurrentOrder(tx, ctx, ref)));
}
