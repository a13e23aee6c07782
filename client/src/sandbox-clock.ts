/**
 * A clock that follows a tradegate merchant's sandbox business clock: `sleep(ms)` advances that clock through the
 * sandbox API instead of waiting, so a sequence that waits 15 s for the reverse window or polls for 45 s runs in
 * milliseconds against a sandbox. For tests and trials only; production uses the system clock.
 */
import type { Clock } from './types.ts';

export interface SandboxClockOptions {
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly mchid: string;
  /** Called after each advance with the business milliseconds slept (tests use it to act as the payer). */
  readonly onSleep?: (ms: number, now: number) => Promise<void> | void;
}

export async function sandboxClock(o: SandboxClockOptions): Promise<Clock> {
  const url = new URL(`sandbox/merchants/${encodeURIComponent(o.mchid)}/clock`, o.baseUrl);
  const call = async (body?: unknown): Promise<number> => {
    const res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${o.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as { offset_seconds?: number };
    if (res.status !== 200 || typeof json.offset_seconds !== 'number') throw new Error(`sandbox clock: HTTP ${res.status}`);
    return json.offset_seconds * 1000;
  };
  let offset = await call();
  const clock: Clock = {
    now: () => Date.now() + offset,
    async sleep(ms: number) {
      offset = await call({ advance_seconds: ms / 1000 });
      await o.onSleep?.(ms, clock.now());
    },
  };
  return clock;
}
