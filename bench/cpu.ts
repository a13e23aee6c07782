/**
 * CPU time and memory from /proc (Linux): each thread's run time in milliseconds (to the nanosecond, from
 * schedstat), peak resident memory per process. The bench reads them through each row, for the gateway (its
 * process tree), PostgreSQL (the backends of the bench's databases and the server's own auxiliary processes) and
 * the load generator (which reports its own process.cpuUsage()).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const TICK_MS = 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);
/** Whether the kernel keeps per-thread run times (CONFIG_SCHED_INFO); without them, whole clock ticks per process. */
const SCHEDSTAT = existsSync('/proc/self/schedstat');

/**
 * Run time of one thread in ms, to the nanosecond: the first field of /proc/<pid>/task/<tid>/schedstat (the
 * scheduler's own sum). /proc/<pid>/stat's utime+stime are whole clock ticks (10 ms) per process: a PostgreSQL
 * backend that works 3 ms in a 1 s row reads 0 or 10 there, and a short row's sum over a few backends could read 0.
 * Null once the thread has exited.
 */
function threadCpuMs(pid: number, tid: string): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

function threadsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // exited
  }
}

/** utime+stime of one process in ms, in clock ticks (fields 14 and 15 of /proc/<pid>/stat, after the comm). */
function processTicksMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0; // exited
  }
}

/**
 * CPU time of one process's live threads in ms (clock ticks of the whole process where the kernel keeps no
 * schedstat). 0 once the process has exited.
 */
export function processCpuMs(pid: number): number {
  return [...readings([pid]).values()].reduce((a, b) => a + b, 0);
}

/** CPU ms of every live thread of `pids`, by pid/tid (by pid where the kernel keeps no schedstat). */
function readings(pids: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    if (!SCHEDSTAT) {
      const ms = processTicksMs(pid);
      if (ms > 0) out.set(`${pid}`, ms);
      continue;
    }
    for (const tid of threadsOf(pid)) {
      const ms = threadCpuMs(pid, tid);
      if (ms !== null) out.set(`${pid}/${tid}`, ms);
    }
  }
  return out;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** A process and its descendants (cluster workers). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]));
  return out;
}

/**
 * CPU of PostgreSQL on behalf of `databases`: every process whose comm is `postgres`, except client backends of
 * other databases (the server is shared with other test runs). Auxiliary processes (WAL writer, checkpointer,
 * postmaster) are counted whole: they work for everyone, so this slightly over-counts on a busy server.
 */
export function postgresPids(databases: readonly string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      // Client backend title: "postgres: [cluster: ]user database host(port)|[local] state".
      const backend = /^postgres: (?:\S+: )?\S+ (\S+) (?:\[local\]|\S+\(\d+\))/.exec(title);
      if (backend && !databases.includes(backend[1])) continue;
      pids.push(Number(entry));
    } catch {
      /* exited while scanning */
    }
  }
  return pids;
}

export function postgresCpuMs(databases: readonly string[]): number {
  return postgresPids(databases).reduce((sum, p) => sum + processCpuMs(p), 0);
}

/** Resets the peak RSS of a process tree (clear_refs 5), so that the next reading is this row's peak. */
export function resetPeakRss(pid: number): void {
  for (const p of processTree(pid)) {
    try {
      writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      /* not ours or exited */
    }
  }
}

/** Peak resident memory (VmHWM) summed over a process tree, in MB. */
export function peakRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return Math.round(kb / 1024);
}

/**
 * Accumulates CPU over a set of processes that changes while it runs (backends come and go: pool idle timeouts,
 * new connections), thread by thread, so that a thread's exit never reads as negative time. Sampled every 200 ms:
 * a thread or process that exits loses at most its last 200 ms.
 */
export class CpuMeter {
  private last: Map<string, number>;
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly list: () => number[]) {
    this.last = readings(list());
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    const now = readings(this.list());
    for (const [thread, ms] of now) this.total += ms - (this.last.get(thread) ?? 0);
    // Threads that exited since drop out: their time up to the last sample stays counted.
    this.last = now;
  }

  /** CPU ms used since construction; stops the meter. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.total;
  }
}
