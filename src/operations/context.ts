import type { Clock, IdGenerator, Store } from '../core/ports.ts';
import type { FaultSpec } from '../core/faults.ts';
import type { Protocol } from '../core/order.ts';

/** What a request's transport gives the fault lab (fault-plan.ts). */
export interface FaultRequest {
  /** The request's own fault (`Tradegate-Fault`), once its caller is authenticated; used by one operation at most. */
  header: FaultSpec | null;
  /** Waits `ms` before the answer (or before closing), exempt from the server's own request timeouts. */
  hold(ms: number): Promise<void>;
}

/** What every operation needs: where orders live, what time it is, who asked. */
export interface OperationContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly protocol: Protocol;
  readonly requestId: string | null;
  /** API requests only: the fault lab applies to their operations (absent: sandbox, sweeper, worker). */
  readonly faults?: FaultRequest;
}
