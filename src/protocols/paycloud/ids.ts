/** PayCloud identifiers (paycloud-openapi.md §11). */
import { randomInt, randomUUID } from 'node:crypto';
import type { IdGenerator } from '../../core/ports.ts';

function digits(n: number): string {
  let s = '';
  while (s.length < n) s += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return s.slice(0, n);
}

/** yyyyMMdd in UTC: PayCloud speaks UTC (§5 times). */
function utcDate(now: number): string {
  return new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
}

/** 20 digits: the date and 12 random digits. Uniqueness is kept by the store's unique keys, as for WeChat ids. */
function transNo(now: number): string {
  return `${utcDate(now)}${digits(12)}`;
}

/**
 * `trans_no` of payments (assigned at creation, passed in NewOrder) and of refunds, including the refund a void
 * performs. Orders get the same internal UUIDs as every other dialect.
 */
export const payCloudIds: IdGenerator = {
  orderId: () => randomUUID(),
  transactionId: transNo,
  refundId: transNo,
};

/** yyyyMMdd in UTC+8, the date WeChat Pay transaction ids carry. */
function chinaDate(now: number): string {
  return new Date(now + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

/** `pay_channel_trans_no`: the wallet's own id, 28 digits in WeChat Pay's shape (4200 + date + 16 digits). */
export function payChannelTransNo(now: number): string {
  return `4200${chinaDate(now)}${digits(16)}`;
}

/** A response `psn` when the client sent no `Http-Request-Psn`: 20 digits (§5). */
export function newPsn(): string {
  return digits(20);
}
