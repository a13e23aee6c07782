/**
 * A request's nonce, admitted with the first store work the request does: a state change records it in its own
 * transaction, a read in the round trip of its first statement (one round trip less either way); a request that
 * does no store work records it alone. Whichever way, a replay is refused and changes nothing, and the answer waits for the verdict.
 */
import { NonceReplayedError, type NonceLedger, type RequestNonce } from '../core/nonce-ledger.ts';
import type { Store } from '../core/ports.ts';

export interface NonceAdmission {
  /** The store the request's operations use: its first transaction carries the nonce. */
  readonly store: Store;
  /** Records the nonce if no transaction has yet (before any answer goes out); throws NonceReplayedError. */
  settle(): Promise<void>;
}

export function admitNonce(store: Store, ledger: NonceLedger, nonce: RequestNonce): NonceAdmission {
  let open = true;
  const take = () => {
    const was = open;
    open = false;
    return was;
  };
  const alone = async () => {
    if (take() && !(await ledger.remember(nonce))) throw new NonceReplayedError();
  };
  return {
    store: {
      transaction: (fn) => (take() ? ledger.recordingWith(nonce).transaction(fn) : store.transaction(fn)),
      read: (fn) => (take() ? ledger.recordingWith(nonce).read(fn) : store.read(fn)),
    },
    settle: alone,
  };
}
