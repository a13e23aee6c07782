/**
 * Authentication reads a merchant's keys on every request; they change only when the merchant is provisioned.
 * A short-lived per-process cache saves that round trip. Only found merchants are cached (a merchant provisioned
 * a moment ago is found at once), and nothing that decides an order's fate comes from here: operations read the
 * merchant again inside their transaction (its sandbox clock moves).
 *
 * While the database is unreachable, an expired entry is still used (keys change only at provisioning): the
 * merchant's request is then answered with its dialect's system error, signed with its keys, instead of an
 * unsigned refusal. Expired entries are kept for that until the cache is full.
 */
import type { Merchant } from '../core/merchant.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export function cachedMerchants(load: (mchid: string) => Promise<Merchant | null>, now: () => number = Date.now) {
  const entries = new Map<string, { merchant: Merchant; until: number }>();
  return async function merchantForAuth(mchid: string): Promise<Merchant | null> {
    const hit = entries.get(mchid);
    if (hit && hit.until > now()) return hit.merchant;
    let merchant: Merchant | null;
    try {
      merchant = await load(mchid);
    } catch (err) {
      if (hit && isDatabaseUnavailable(err)) return hit.merchant;
      throw err;
    }
    if (merchant) {
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(mchid, { merchant, until: now() + TTL_MS });
    } else {
      entries.delete(mchid);
    }
    return merchant;
  };
}
