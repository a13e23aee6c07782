/**
 * A request's nonce, admitted with the first store work the request does. A state change records it in its own
 * transaction (one commit and one round trip less than recording it first); anything else, or nothing, records
 * it alone. Whichever way, a replay is refused and changes nothing, and the answer waits for the verdict.
 */
import { NonceReplayedError, type MerchantStore, type RequestNonce, type Store } from '../core/ports.ts';

export interface NonceAdmission {
  /** The store the request's operations use: its first transaction carries the nonce. */
  readonly store: Store;
  /** Records the nonce if no transaction has yet (before any answer goes out); throws NonceReplayedError. */
  settle(): Promise<void>;
}

export function admitNonce(store: Store & MerchantStore, nonce: RequestNonce): NonceAdmission {
  let open = true;
  const take = () => {
    const was = open;
    open = false;
    return was;
  };
  const alone = async () => {
    if (take() && !(await store.rememberNonce(nonce))) throw new NonceReplayedError();
  };
  return {
    store: {
      transaction: (fn) => (take() ? store.transaction(fn, nonce) : store.transaction(fn)),
      // A read writes nothing to carry the nonce with: it is recorded first, as before any answer.
      read: async (fn) => {
        await alone();
        return store.read(fn);
      },
    },
    settle: alone,
  };
}
