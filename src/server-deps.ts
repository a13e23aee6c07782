import type { Payer } from './core/payer.ts';
import type { Clock, IdGenerator } from './core/ports.ts';
import type { SqlStore } from './store/sql-store.ts';

/** Everything the HTTP layer needs; built once in server.ts. */
export interface GatewayDeps {
  readonly store: SqlStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly payer: Payer;
}
