import { randomInt, randomUUID } from 'node:crypto';
import type { IdGenerator } from './ports.ts';

function digits(n: number): string {
  let s = '';
  while (s.length < n) s += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return s.slice(0, n);
}

/** yyyyMMdd in UTC+8, the date WeChat Pay ids carry. */
function chinaDate(now: number): string {
  return new Date(now + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

/** WeChat-style ids: 28-digit transaction ids (4200…), 29-digit refund ids (50…). Uniqueness is kept by the store. */
export const wechatIds: IdGenerator = {
  orderId: () => randomUUID(),
  transactionId: (now) => `4200${chinaDate(now)}${digits(16)}`,
  refundId: (now) => `5030${chinaDate(now)}${digits(17)}`,
};
