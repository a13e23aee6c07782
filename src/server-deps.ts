import type { NonceLedger } from './core/nonce-ledger.ts';
import type { Payer } from './core/payer.ts';
import type { Clock, IdGenerator, MerchantLookup, MerchantStore, Store } from './core/ports.ts';

/** Everything the HTTP layer needs, as ports; built once in gateway.ts. */
export interface GatewayDeps {
  /** Orders (one transaction per state change), merchant provisioning and the sandbox clock. */
  readonly store: Store & MerchantStore;
  /** Who a request comes from: merchants with their keys. */
  readonly merchants: MerchantLookup;
  /** APIv3 request nonces, remembered by every gateway process. */
  readonly nonces: NonceLedger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly payer: Payer;
}
