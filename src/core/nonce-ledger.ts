import type { Store } from './ports.ts';

/** A request's single-use nonce (APIv3 Authorization), recorded by the first store work the request does. */
export interface RequestNonce {
  readonly mchid: string;
  readonly nonce: string;
  readonly expiresAt: number;
  readonly now: number;
}

/** The nonce was seen within its lifetime: the request is a replay, and nothing it asked for happened. */
export class NonceReplayedError extends Error {
  constructor() {
    super('nonce replayed');
    this.name = 'NonceReplayedError';
  }
}

/**
 * Where request nonces are remembered (by every gateway process alike). Kept apart from the order store: an
 * order's transaction knows nothing of nonces; the ledger offers an order store that records one with its work.
 */
export interface NonceLedger {
  /** Records the nonce alone; false when it was seen within its lifetime (a replay). */
  remember(nonce: RequestNonce): Promise<boolean>;
  /**
   * The order store, except that every transaction or read also records `nonce`, with its first statement (no
   * extra round trip): a replay throws NonceReplayedError before anything is written, and a nonce whose
   * transaction fails is still recorded.
   */
  recordingWith(nonce: RequestNonce): Store;
}
