/**
 * `--cpu-scheduling batch`: every thread of this process under Linux's SCHED_BATCH policy. A batch thread that
 * wakes up does not preempt the thread running on its core. The gateway wakes its own threads all the time — each
 * RSA signature is handed to a libuv thread, which wakes up and (under the default policy) takes the core from
 * the event loop that asked for it — and where the gateway shares few cores with PostgreSQL, those hand-offs
 * cost more than the work (bench/results/2026-12-02-notes.md, fifth part). Threads started later (libuv's pool
 * starts on first use) inherit the policy from the thread that starts them, and so do the processes of
 * `--workers`.
 *
 * Node has no binding for sched_setscheduler(2), and a native addon for one call is more to build and keep than
 * util-linux's `chrt`, which every Linux distribution ships; so this runs `chrt` once, at start. A process may
 * move its own threads between SCHED_OTHER and SCHED_BATCH without privileges.
 */
import { execFileSync } from 'node:child_process';

/** Walks of the thread list tried before giving up (see below). */
const ATTEMPTS = 3;

/**
 * Puts every current thread of this process under SCHED_BATCH; throws with the reason when it cannot. `chrt
 * --all-tasks` lists the threads, then sets each, and fails on one that ended in between ("No such process"), so
 * the walk is tried again. (A start with this option exited within 0.2 s once, in a CI rehearsal on a loaded
 * machine, its reason lost by the test; this is the failure `chrt` can have there.)
 */
export function useBatchScheduling(): void {
  if (process.platform !== 'linux') throw new Error(`--cpu-scheduling batch: SCHED_BATCH is Linux's; this is ${process.platform}`);
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync('chrt', ['--batch', '--all-tasks', '--pid', '0', String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code !== 'ENOENT' && attempt < ATTEMPTS) continue;
      const why = e.code === 'ENOENT' ? 'chrt (util-linux) is not installed' : (e.stderr?.toString().trim() ?? e.message);
      throw new Error(`--cpu-scheduling batch: ${why}`);
    }
  }
}
