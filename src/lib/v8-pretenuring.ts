/**
 * `--v8-pretenuring off` (the default): V8's allocation-site pretenuring turned off in the gateway's process.
 *
 * V8 watches, at each young-generation collection, how many of the objects made at one place in the code are still
 * alive, and when most are it makes that place allocate in the old generation from then on. Under load, the
 * objects a request holds while it waits for the database are alive at a collection often enough that places on
 * the request path get this decision; their objects then die in the old generation, which only a full collection
 * clears. At the bench's full load on Node 20 that meant a full collection every 2.5–3 s instead of one in 15 s, and
 * the reverse's slowest answers gathered around them (bench/results/2026-12-05-notes.md, sixth and seventh sessions).
 *
 * Set with `v8.setFlagsFromString` once at start, before the first request: V8 reads the flag when a collection
 * digests the allocation feedback, so a process that has decided nothing yet decides nothing. Node does not take
 * V8's flags in NODE_OPTIONS, and a gateway should not need its users to know node's command line; `on` leaves
 * V8's own behaviour.
 */
import { setFlagsFromString } from 'node:v8';

export const V8_PRETENURING = ['off', 'on'] as const;
export type V8Pretenuring = (typeof V8_PRETENURING)[number];

/** Applies `choice` to this process (`setFlags` is V8's, replaced only by the tests). */
export function applyV8Pretenuring(choice: V8Pretenuring, setFlags: (flags: string) => void = setFlagsFromString): void {
  if (choice === 'off') setFlags('--no-allocation-site-pretenuring');
}
