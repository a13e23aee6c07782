import type { FaultFiring, StoredFault } from './faults.ts';
import type { Merchant, MerchantProfile } from './merchant.ts';
import type { HistoryEntry, Order, Refund } from './order.ts';

/** Wall-clock time in epoch ms. Business time is derived per merchant (see businessNow). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** How an operation names an order: by the merchant's number or by the gateway's transaction id. */
export type OrderRef =
  | { readonly mchid: string; readonly outTradeNo: string }
  | { readonly mchid: string; readonly transactionId: string }
  /** The gateway's internal id, for operations that reach an order through one of its refunds. */
  | { readonly mchid: string; readonly orderId: string };

/** A notification to deliver after commit; written in the same transaction as the change that causes it. */
export interface OutboxEvent {
  readonly mchid: string;
  readonly orderId: string;
  readonly refundId: string | null;
  readonly kind: 'payment' | 'refund';
  readonly protocol: string;
  readonly url: string;
  readonly dueAt: number;
}

/**
 * The work one transaction can do. Every method runs inside the transaction that created it. Writes (the
 * methods returning nothing) are sent at once and not waited for: a failed write fails the transaction's next
 * read or its commit, and then nothing of the transaction is kept.
 */
export interface StoreTx {
  /** The merchant without its keys: operations decide with settings and clock, never with key material. */
  getMerchant(mchid: string): Promise<MerchantProfile | null>;
  /** false when (mchid, out_trade_no) exists already. */
  insertOrder(order: Order): Promise<boolean>;
  /** Loads the order and holds its row lock until the transaction ends. */
  lockOrder(ref: OrderRef): Promise<Order | null>;
  /** The merchant (without its keys) and its locked order, read together in one round trip. */
  lockMerchantOrder(ref: OrderRef): Promise<{ merchant: MerchantProfile | null; order: Order | null }>;
  /**
   * The writes of one state change of a locked order, sent together: what the event changed of it (EVENT_FIELDS
   * of `applyEvent`'s order; its other facts are as it was made) and its history row, and the
   * refund the change makes when that refund has no out_refund_no to collide on (a reverse's or void's full refund;
   * a merchant's refund goes through insertRefund first, whose answer says whether the number was taken).
   */
  recordChange(order: Order, history: HistoryEntry, refund: Refund | null): void;
  listRefunds(orderId: string): Promise<Refund[]>;
  findRefund(mchid: string, ref: { outRefundNo: string } | { refundId: string }): Promise<Refund | null>;
  /** A merchant's refund: false when (mchid, out_refund_no) exists already. */
  insertRefund(refund: Refund): Promise<boolean>;
  updateRefund(refund: Refund): void;
  appendHistory(entry: HistoryEntry): void;
  listHistory(orderId: string): Promise<HistoryEntry[]>;
  enqueueNotification(event: OutboxEvent): void;
  /** The merchant's live fault definitions, oldest first (locked in a transaction). Read only when its fault count is not 0. */
  faultPlan(mchid: string): Promise<StoredFault[]>;
  /** Logs a fired fault and counts it against its definition (locked by faultPlan) in this transaction. */
  recordFaultFiring(firing: FaultFiring): Promise<void>;
  /** Counts a fault that fired outside its request's transaction; false when another request used it up first. */
  consumeFault(firing: FaultFiring): Promise<boolean>;
  /** The fired-faults log of one order number, oldest first. */
  listFaultFirings(mchid: string, outTradeNo: string): Promise<FaultFiring[]>;
}

/** The order store: one transaction per state change. */
export interface Store {
  /** Runs fn in one transaction. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Reads without locks (queries that will not write), their statements sent together where they can be. */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
}

/** Finds orders whose state time has changed (expired, payer answered or timed out) on their merchant's clock. */
export interface DueOrderSource {
  dueOrders(wallNow: number, limit: number): Promise<OrderRef[]>;
}

/** Who a request comes from: merchants with their keys, for authentication, signing and acting for others. */
export interface MerchantLookup {
  /** The merchant for request authentication (keys, settings); may come from a short per-process cache. */
  merchantForAuth(mchid: string): Promise<Merchant | null>;
  /** The merchant as stored now, keys included. */
  getMerchant(mchid: string): Promise<Merchant | null>;
  /** The merchant that holds the application `appId` (an app id names one merchant), or null. */
  merchantByAppId(appId: string): Promise<Merchant | null>;
}

/** Gateway-side identifiers. */
export interface IdGenerator {
  orderId(): string;
  transactionId(now: number): string;
  refundId(now: number): string;
}

/** Merchant provisioning and the sandbox clock. */
export interface MerchantStore {
  insertMerchant(merchant: Merchant): Promise<void>;
  getMerchant(mchid: string): Promise<Merchant | null>;
  listMerchants(): Promise<Merchant[]>;
  /** Moves a merchant's business clock forward; returns the new offset. */
  advanceClock(mchid: string, ms: number): Promise<number | null>;
  /**
   * A gateway-wide secret (the sandbox CA, a PayCloud gateway key pair): the first process to ask creates it,
   * every other process gets the same value.
   */
  gatewaySecret<T>(name: string, create: () => Promise<T>): Promise<T>;
}
