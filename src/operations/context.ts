import type { Clock, IdGenerator, Store } from '../core/ports.ts';
import type { Protocol } from '../core/order.ts';

/** What every operation needs: where orders live, what time it is, who asked. */
export interface OperationContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly protocol: Protocol;
  readonly requestId: string | null;
}
