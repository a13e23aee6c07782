/**
 * One process per embedded data directory: PGlite keeps the database in the process's memory and writes it back
 * on its own schedule, so two processes on one directory would each believe their own copy (and overwrite the
 * other's). A lock file holding the owner's pid, created exclusively (`wx`), keeps the second one out; a lock
 * whose pid is no longer running (a crash, kill -9) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `data directory ${resolve(dataDir)} is in use by process ${pid} (stop it first; if that process is not tradegate, delete ${join(resolve(dataDir), LOCK_FILE)})`,
    );
  }
}

export const LOCK_FILE = 'tradegate.lock';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

function holderOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null; // gone meanwhile
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          if (holderOf(file) === process.pid) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(file);
    if (holder !== null && running(holder)) throw new DataDirLockedError(dataDir, holder);
    // Stale (its process is gone) or unreadable: remove it and try again; `wx` settles a race between two takers.
    try {
      unlinkSync(file);
    } catch {
      /* another taker removed it first */
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}
