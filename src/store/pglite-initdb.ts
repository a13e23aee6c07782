/**
 * A new embedded database is created (PGlite's initdb) in a short-lived child process. initdb runs a second
 * PostgreSQL instance inside the WASM heap, which never shrinks: done in the gateway's own process it left the
 * gateway at ~800 MB RSS for its whole life; done here, the gateway opens a finished data directory (~300 MB)
 * and the child's memory goes back to the system when it exits.
 *
 * Run as a script (`node pglite-initdb.js <dir>`) it creates the database in `<dir>.initdb-<pid>` and renames it
 * to `<dir>` when complete, so an interrupted first start leaves no half-made database behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const isInitialised = (dir: string): boolean => existsSync(`${dir}/PG_VERSION`);

/** Creates the PGlite database in `dir` unless there is one; resolves once it is complete. */
export async function initPgliteDataDir(dir: string): Promise<void> {
  if (isInitialised(dir)) return;
  const self = fileURLToPath(import.meta.url);
  // Under tsx (tests, development) the child needs the same loader; compiled, plain node runs it.
  const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const stderr: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [...loader, self, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0 || !isInitialised(dir)) {
    throw new Error(`creating the embedded database in ${dir} failed (exit ${code}): ${Buffer.concat(stderr).toString().trim().slice(-500)}`);
  }
}

async function main(dir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const temp = `${dir}.initdb-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  const db = new PGlite(temp);
  await db.waitReady;
  await db.close();
  // An empty target (made by the caller) is replaced; a non-empty one that is not a database is left alone.
  if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  renameSync(temp, dir);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: pglite-initdb <data dir>');
  await main(dir);
}
