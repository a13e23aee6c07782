/**
 * The data directory holds every secret of the gateway (the embedded database with merchants' API keys and
 * private keys, the sandbox CA key, the admin token, credentials files): it must be readable by its owner only,
 * whatever the umask of the shell that started the gateway.
 *
 * Two layers, because PGlite's file layer (Emscripten's NODEFS) creates and chmods files itself — the files of a
 * fresh database come out 0666 even under umask 077, and a few files rewritten at start (pg_internal.init) 0644:
 * - the directory tree is 0700, so no other user can even reach a file inside, whatever its own mode;
 * - every file is tightened to owner-only by a walk at start, after the database is open, and at close, and the
 *   process umask is 077, so files created in between are owner-only from the start where the creator honours it.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const GROUP_OTHER = 0o077;

/** Creates `dir` (0700) if needed, sets the process umask to 077 and tightens what is already there. */
export function ensurePrivateDir(dir: string): number {
  if (isMainThread) process.umask(GROUP_OTHER); // worker threads may not change the process umask
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return tightenTree(dir);
}

/** Removes group/other permissions from `root` and everything under it; returns how many entries changed. */
export function tightenTree(root: string): number {
  let changed = 0;
  const visit = (path: string) => {
    let mode: number;
    let directory: boolean;
    try {
      const st = lstatSync(path);
      // A symbolic link's own mode means nothing, and chmod would follow it out of the tree.
      if (st.isSymbolicLink()) return;
      mode = st.mode & 0o7777;
      directory = st.isDirectory();
      if (mode & GROUP_OTHER) {
        chmodSync(path, mode & ~GROUP_OTHER);
        changed++;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // the database removed it meanwhile (WAL recycling)
      throw err;
    }
    if (!directory) return;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) visit(join(path, name));
  };
  visit(root);
  return changed;
}
