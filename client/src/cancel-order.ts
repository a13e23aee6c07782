/**
 * Cancellation of a QR / native / JSAPI order (one the payer pays on their phone): WeChat close, which is
 * refused until 5 minutes after the order was made, PayCloud void (15 s). When the caller says when the order was
 * made, the sequence waits (on the injectable clock) until the window opens; otherwise the gateway's "too early"
 * answer is retried with back-off. A journalled wait survives a crash: `recover()` resumes it.
 */
import { cancelUntilTerminal } from './pay-by-code.ts';
import type { Steps } from './sequence.ts';
import type { Outcome } from './types.ts';

export async function driveCancelOrder(st: Steps): Promise<Outcome> {
  if (st.s.done) return st.s.done;
  const t = st.d.timing;
  const window = st.d.wire.dialect === 'paycloud' ? t.cancelEarliestMs : t.closeEarliestMs;
  st.enterCancelling();
  const earliest = st.s.createdAt !== undefined ? st.s.createdAt + window : st.now();
  return cancelUntilTerminal(st, 'close', earliest);
}
