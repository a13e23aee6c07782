/**
 * The fault lab for notifications (`operation: notify`): one call at the point of delivery. `drop` loses the
 * attempt (it is recorded as failed and retried on the schedule), `duplicate` delivers the same request twice,
 * `delay` waits before delivering. Costs nothing for a merchant without faults (its fault count is 0).
 */
import { pickFault, type FaultFiring, type FaultSpec } from '../core/faults.ts';
import type { Store } from '../core/ports.ts';
import { plainHold } from '../operations/fault-plan.ts';
import type { NotificationSubject } from './encoder.ts';

/** The attempt a `drop` fault lost: recorded like a request that never reached the merchant. */
export class DroppedNotificationFault extends Error {
  constructor() {
    super('notification dropped by a fault');
    this.name = 'FaultDrop';
  }
}

async function notifyFault(store: Store, subject: NotificationSubject, businessNow: number): Promise<FaultSpec | null> {
  if ((subject.merchant.faultCount ?? 0) === 0) return null;
  const { merchant, order } = subject;
  return store.transaction(async (tx) => {
    const fault = pickFault(await tx.faultPlan(merchant.mchid), { operation: 'notify', dialect: order.protocol, outTradeNo: order.outTradeNo });
    if (!fault) return null;
    const firing: FaultFiring = {
      mchid: merchant.mchid,
      faultId: fault.id,
      effect: fault.effect,
      commit: null,
      operation: 'notify',
      dialect: order.protocol,
      outTradeNo: order.outTradeNo,
      requestId: null,
      at: businessNow,
    };
    await tx.recordFaultFiring(firing);
    return fault;
  });
}

/** Delivers with `post` as the merchant's fault plan says. */
export async function deliverThroughFaults<T>(store: Store, subject: NotificationSubject, businessNow: number, post: () => Promise<T>): Promise<T> {
  const fault = await notifyFault(store, subject, businessNow);
  switch (fault?.effect) {
    case undefined:
      return post();
    case 'drop':
      throw new DroppedNotificationFault();
    case 'duplicate': {
      await post(); // the first delivery's answer is read (bounded) and ignored; the second one counts
      return post();
    }
    case 'delay':
      await plainHold(fault.delayMs);
      return post();
    case 'system_error':
    case 'timeout':
      return post(); // API effects only (never matched for notify)
  }
}
