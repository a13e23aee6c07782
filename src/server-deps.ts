import type { SqlRunner } from './store/sql-client.ts';
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
  /**
   * The database itself, for the sandbox's read models only (merchant and order lists, the request log, dashboard
   * sessions): plain queries over tables the operations own. Operations never see it.
   */
  readonly sql: SqlRunner;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly payer: Payer;
}
