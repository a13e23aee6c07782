/**
 * The code-payment sequence (README "Safe cancel"): pay; while the payer confirms, query at the documented
 * interval; after a system error, a timeout or a dropped connection, query before deciding; when the outcome is
 * still open at the pay deadline, cancel (reverse / void) and repeat the cancel with back-off while the gateway
 * says to, until a verified terminal answer. Every step is journalled before it is sent, so `resume` can pick
 * the sequence up in another process after a crash: it starts with a query (a sent pay may or may not have
 * landed) or, once cancelling began, with the cancel again (reverse and void are idempotent).
 */
import type { QueryAnswer } from './dialects/answers.ts';
import type { Steps } from './sequence.ts';
import type { Outcome } from './types.ts';

type Next = { op: 'pay' | 'query'; wait: number } | { op: 'cancel' } | { op: 'done'; outcome: Outcome };

/** What a query tells the paying phase. */
function afterQuery(st: Steps, q: QueryAnswer, poll: number): Next {
  if (q.kind === 'not_found') return { op: 'pay', wait: 0 }; // our pay never landed: send the same pay again
  if (q.kind === 'unknown') return { op: 'query', wait: poll };
  switch (q.state) {
    case 'SUCCESS':
    case 'REFUND':
      return { op: 'done', outcome: st.paid(q.transactionId) };
    case 'PAYERROR':
      return { op: 'done', outcome: st.cancelled('declined', false, 'PAYERROR') };
    case 'CLOSED':
      return { op: 'done', outcome: st.cancelled('closed', st.moneyMoved(q.paid)) };
    case 'REVOKED':
      return { op: 'done', outcome: st.cancelled('cancelled', st.moneyMoved(q.paid)) };
    case 'USERPAYING':
    case 'NOTPAY':
      return { op: 'query', wait: poll };
  }
}

export async function drivePayByCode(st: Steps): Promise<Outcome> {
  const t = st.d.timing;
  const s = st.s;
  if (s.done) return s.done;
  if (s.phase === 'paying') {
    const payDeadline = s.payDeadlineAt ?? s.startedAt + t.payDeadlineMs;
    let next: Next = s.paySent ? { op: 'query', wait: 0 } : { op: 'pay', wait: 0 };
    while (next.op === 'pay' || next.op === 'query') {
      if (next.wait > 0) await st.d.clock.sleep(next.wait);
      if (st.deadlinePassed()) return st.unknown('deadline passed while waiting for the payer');
      if (st.now() >= payDeadline) {
        next = { op: 'cancel' };
        break;
      }
      if (next.op === 'pay') {
        const a = await st.pay();
        switch (a.kind) {
          case 'paid':
            return st.paid(a.transactionId);
          case 'declined':
            return st.cancelled('declined', false, a.code);
          case 'paying':
            next = { op: 'query', wait: t.pollIntervalMs };
            break;
          case 'unknown':
            next = { op: 'query', wait: t.queryAfterErrorMs };
            break;
        }
      } else {
        next = afterQuery(st, await st.query(), t.pollIntervalMs);
      }
    }
    if (next.op === 'done') return next.outcome;
    st.enterCancelling();
  }
  return cancelUntilTerminal(st, 'reverse', s.startedAt + t.cancelEarliestMs);
}

/**
 * Cancel, then learn the state by query; repeat with back-off while the gateway says "later" or the answer was
 * not verified. A final refusal of a paid order (reverse window over, partly refunded, a paid QR order) means the
 * sale stands: `paid`.
 */
export async function cancelUntilTerminal(st: Steps, op: 'reverse' | 'close', earliest: number): Promise<Outcome> {
  const t = st.d.timing;
  await st.sleepUntil(earliest);
  let backoff = t.cancelBackoffMs;
  for (;;) {
    if (st.deadlinePassed()) return st.unknown(`deadline passed while cancelling (${op})`);
    const a = await st.cancel(op);
    if (a.kind !== 'retry') {
      const q = await st.query();
      if (q.kind === 'not_found' && a.kind === 'not_found') return st.cancelled('not_found', false);
      if (q.kind === 'state') {
        switch (q.state) {
          case 'SUCCESS':
          case 'REFUND':
            if (a.kind === 'refused') return st.paid(q.transactionId);
            break; // "done" but still paid: not settled yet, cancel again
          case 'REVOKED':
            return st.cancelled('cancelled', st.moneyMoved(q.paid));
          case 'CLOSED':
            return st.cancelled(op === 'close' ? 'cancelled' : 'closed', st.moneyMoved(q.paid));
          // The payment failed and cannot succeed any more (PayCloud leaves a voided failed order at 1): terminal.
          case 'PAYERROR':
            return st.cancelled('declined', false, 'PAYERROR');
          case 'USERPAYING':
          case 'NOTPAY':
            break;
        }
      }
    }
    await st.d.clock.sleep(backoff);
    backoff = Math.min(backoff * 2, t.cancelBackoffCapMs);
  }
}
