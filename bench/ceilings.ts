/**
 * D: the store's own ceiling — the same reverse transactions, in-process, with no HTTP and no crypto. For APIv3
 * each carries a request nonce, as an APIv3 reverse does (recorded in the same transaction); APIv2 has none.
 */
import { wechatIds } from '../src/core/ids.ts';
import { systemClock } from '../src/core/ports.ts';
import { reverseOrder } from '../src/operations/reverse-order.ts';
import { admitNonce } from '../src/protocols/nonce-admission.ts';
import type { SqlStore } from '../src/store/sql-store.ts';

/** Reverse transactions per second with `concurrency` in flight for `seconds` over orders `${prefix}1…count`. */
export async function storeCeiling(
  store: SqlStore,
  mchid: string,
  prefix: string,
  count: number,
  seconds: number,
  dialect: 'v3' | 'v2',
  concurrency = 64,
): Promise<number> {
  const ctx = { store, clock: systemClock, ids: wechatIds, protocol: 'wechatpay-v3' as const, requestId: null };
  let next = 1;
  let done = 0;
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end && next <= count) {
        const now = Date.now();
        const reverseStore =
          dialect === 'v3' ? admitNonce(store, store, { mchid, nonce: `ceiling-${next}-${now}`, expiresAt: now + 600_000, now }).store : store;
        await reverseOrder({ ...ctx, store: reverseStore }, { mchid, outTradeNo: `${prefix}${next++}` }, dialect === 'v3' ? 'wechatV3' : 'wechatV2');
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}
