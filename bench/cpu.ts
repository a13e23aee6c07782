/**
 * CPU time and memory from /proc (Linux): utime+stime per process, in milliseconds. The bench reads them before
 * and after each row, for the gateway (its process tree), PostgreSQL (the backends of the bench's databases and
 * the server's own auxiliary processes) and the load generator (which reports its own process.cpuUsage()).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const TICK_MS = 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/** utime+stime of one process in ms (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised comm). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  } // exited
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
 * new connections). Sampled every 200 ms: a process that exits loses at most its last 200 ms.
 */
export class CpuMeter {
  private readonly last = new Map<number, number>();
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly list: () => number[]) {
    for (const pid of list()) this.last.set(pid, processCpuMs(pid));
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    for (const pid of this.list()) {
      const now = processCpuMs(pid);
      if (now === 0) continue; // exited between listing and reading
      this.total += now - (this.last.get(pid) ?? 0);
      this.last.set(pid, now);
    }
  }

  /** CPU ms used since construction; stops the meter. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.total;
  }
}
