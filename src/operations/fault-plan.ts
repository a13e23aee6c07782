/**
 * The fault lab, applied around every API operation by this one piece of code (the dialects only render the
 * outcome). A call's fault is decided inside its own transaction, right after the merchant row is read — that
 * row carries the merchant's live-fault count, so a merchant without faults costs nothing more, and a fault
 * defined a moment ago by any process is seen at once. Then:
 * - commit=before: the transaction rolls back (nothing happened), the firing is counted apart, the fault answers;
 * - commit=after (and faults of reads and `delay`): the firing is counted in the operation's own transaction,
 *   which commits as it would have; the fault answers after the commit — never holding the row lock.
 * A refusal of the operation itself (order not found …) rolls the transaction back and answers as usual: the
 * fault did not fire and stays for the next call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreError } from '../core/errors.ts';
import { effectiveCommit, faultMatches, pickFault, type FaultedOperation, type FaultFiring, type FaultSpec, type StoredFault } from '../core/faults.ts';
import { businessNow, type MerchantProfile } from '../core/merchant.ts';
import type { Store, StoreTx } from '../core/ports.ts';
import type { FaultRequest, OperationContext } from './context.ts';

/** The answer is no answer: the dialect closes the connection. */
export class ConnectionDropFault extends Error {
  constructor() {
    super('fault: connection closed without an answer');
    this.name = 'ConnectionDropFault';
  }
}

/** A commit=before fault fired: the operation's transaction must roll back. */
class FiredBeforeCommit extends Error {
  constructor(
    readonly fault: FaultSpec,
    readonly firing: FaultFiring,
  ) {
    super('fault fired before commit');
  }
}

interface Fired {
  readonly fault: FaultSpec;
  readonly firing: FaultFiring;
  /** Counted in the operation's transaction (else it must be counted apart once the operation is done). */
  readonly counted: boolean;
}

/** Holds without keeping the event loop alive for tests and shutdowns (a plain sleep). */
export const plainHold = (ms: number) => sleep(ms, undefined, { ref: false });

/** One operation call's view of the fault plan. */
class FaultedCall {
  private decided = false;
  fired: Fired | null = null;

  constructor(
    private readonly ctx: OperationContext,
    private readonly request: FaultRequest,
    private readonly operation: FaultedOperation,
    private readonly outTradeNo: string | null,
  ) {}

  store(inner: Store): Store {
    return {
      transaction: (fn) => {
        const before = this.state();
        return inner.transaction((tx) => fn(this.tx(this.from(before, tx), true)));
      },
      read: (fn) => {
        const before = this.state();
        return inner.read((tx) => fn(this.tx(this.from(before, tx), false)));
      },
    };
  }

  private state() {
    return { decided: this.decided, fired: this.fired, header: this.request.header };
  }

  /**
   * Each run of a transaction starts from the call's state before it: a run the store repeats (a deadlock, a
   * shared transaction rolled back for a neighbour) decides again, since what the rolled-back run decided,
   * counted or took was undone with it.
   */
  private from(before: ReturnType<FaultedCall['state']>, tx: StoreTx): StoreTx {
    this.decided = before.decided;
    this.fired = before.fired;
    this.request.header = before.header;
    return tx;
  }

  private tx(tx: StoreTx, inTransaction: boolean): StoreTx {
    return {
      ...tx,
      getMerchant: async (mchid) => {
        const merchant = await tx.getMerchant(mchid);
        await this.decide(tx, merchant, this.outTradeNo, inTransaction);
        return merchant;
      },
      lockMerchantOrder: async (ref) => {
        const found = await tx.lockMerchantOrder(ref);
        await this.decide(tx, found.merchant, found.order?.outTradeNo ?? this.outTradeNo, inTransaction);
        return found;
      },
    };
  }

  private async decide(tx: StoreTx, merchant: MerchantProfile | null, outTradeNo: string | null, inTransaction: boolean) {
    if (this.decided || !merchant) return;
    this.decided = true;
    const call = { operation: this.operation, dialect: this.ctx.protocol, outTradeNo };
    let fault: FaultSpec | StoredFault | null = null;
    if (this.request.header && faultMatches(this.request.header, call)) {
      fault = this.request.header;
      this.request.header = null;
    } else if ((merchant.faultCount ?? 0) > 0) {
      fault = pickFault(await tx.faultPlan(merchant.mchid), call);
    }
    if (!fault) return;
    const commit = effectiveCommit(fault, this.operation);
    const firing: FaultFiring = {
      mchid: merchant.mchid,
      faultId: 'id' in fault ? fault.id : null,
      effect: fault.effect,
      commit,
      operation: this.operation,
      dialect: this.ctx.protocol,
      outTradeNo,
      requestId: this.ctx.requestId,
      at: businessNow(merchant, this.ctx.clock.now()),
    };
    if (commit === 'before') throw new FiredBeforeCommit(fault, firing);
    if (inTransaction) await tx.recordFaultFiring(firing);
    this.fired = { fault, firing, counted: inTransaction };
  }

  /** Counts a firing in a transaction of its own; false when another request used the definition up first. */
  countApart(firing: FaultFiring): Promise<boolean> {
    return this.ctx.store.transaction((tx) => tx.consumeFault(firing));
  }
}

/** The fault's answer in place of the operation's: a system error, a hold, a closed connection. */
async function answerWith<T>(request: FaultRequest, fault: FaultSpec, result: () => T): Promise<T> {
  switch (fault.effect) {
    case 'system_error':
      throw new CoreError('SYSTEM_ERROR', 'injected fault: system error');
    case 'timeout':
      await request.hold(fault.delayMs);
      throw new ConnectionDropFault();
    case 'drop':
      throw new ConnectionDropFault();
    case 'delay':
      await request.hold(fault.delayMs);
      return result();
    case 'duplicate':
      return result(); // notify only (never matched for an API operation)
  }
}

/** Tries a call again at most this often when a commit=before definition was used up by a racing request. */
const MAX_RACES = 3;

/**
 * Runs an operation under the merchant's fault plan and the request's own fault. `outTradeNo`: the order number
 * the request names, when it names one (a call by transaction id is matched by its order's number).
 */
export async function withFaults<T>(
  ctx: OperationContext,
  operation: FaultedOperation,
  outTradeNo: string | null,
  run: (ctx: OperationContext) => Promise<T>,
): Promise<T> {
  const request = ctx.faults;
  if (!request) return run(ctx);
  for (let race = 0; ; race++) {
    const call = new FaultedCall(ctx, request, operation, outTradeNo);
    let result: T;
    try {
      result = await run({ ...ctx, store: call.store(ctx.store) });
    } catch (err) {
      if (!(err instanceof FiredBeforeCommit)) throw err;
      if (!(await call.countApart(err.firing)) && race < MAX_RACES) continue;
      return answerWith(request, err.fault, () => {
        throw new CoreError('SYSTEM_ERROR');
      });
    }
    const fired = call.fired;
    if (!fired) return result;
    if (!fired.counted && !(await call.countApart(fired.firing))) return result;
    return answerWith(request, fired.fault, () => result);
  }
}
