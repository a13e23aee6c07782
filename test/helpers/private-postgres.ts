/**
 * A private PostgreSQL server for tests that kill, restart and pause it (never the machine's shared server):
 * `initdb` into a temporary directory, `postgres -D <dir> -p <free port> -k <dir>`. As root (CI) everything runs
 * as the `postgres` user (PostgreSQL refuses root), the directory owned by it. fsync is off: only the server's
 * processes are killed, never the machine, so the operating system keeps every write.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './gateway-process.ts';

/** The directory holding initdb and postgres, or null when the server binaries are not installed. */
export function postgresBinDir(): string | null {
  const dirs = ['/usr/lib/postgresql'].filter(existsSync).flatMap((root) =>
    readdirSync(root)
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => join(root, v, 'bin')),
  );
  for (const dir of [...dirs, '/usr/local/bin', '/usr/bin']) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  return null;
}

export interface PrivatePostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  start(): Promise<void>;
  /** SIGKILL to the postmaster and every backend at once (a crash); resolves once they are gone. */
  kill9(): Promise<void>;
  /** SIGSTOP / SIGCONT to every server process (a stall: connections accepted by the kernel, nothing answered). */
  pause(): void;
  resume(): void;
  /** Stops the server (if running) and removes its directory. */
  destroy(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function createPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (cmd: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]) as [string, string[]];
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
  }
  execFileSync(...run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']), { stdio: 'ignore' });
  let child: ChildProcess | null = null;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const postmasterPid = (): number | null => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };
  /**
   * Every process of this server: those whose working directory is its data directory (the postmaster and each
   * backend). Not the postmaster's children: a backend forked while the postmaster is being killed is orphaned
   * (and each backend is its own session leader), and would go on serving its connection.
   */
  const serverPids = (): number[] =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/cwd`) === data;
        } catch {
          return false;
        }
      });
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of serverPids()) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  return {
    port,
    url,
    async start() {
      child = spawn(
        ...run(join(bin, 'postgres'), [
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'max_connections=200',
        ]),
        { stdio: 'ignore' },
      );
      for (let i = 0; ; i++) {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
        try {
          await c.connect();
          await c.end();
          return;
        } catch (err) {
          await c.end().catch(() => undefined);
          if (i > 300) throw new Error(`private PostgreSQL did not start: ${(err as Error).message}`);
          await sleep(100);
        }
      }
    },
    async kill9() {
      for (let pids = serverPids(); pids.length > 0; pids = serverPids()) {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await sleep(20);
      }
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async destroy() {
      signal('SIGCONT');
      const main = postmasterPid();
      if (main && alive(main)) {
        process.kill(main, 'SIGQUIT'); // immediate shutdown
        for (let i = 0; i < 100 && alive(main); i++) await sleep(50);
      }
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
