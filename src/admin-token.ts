/** The sandbox admin token kept in `<data-dir>/admin-token` (0600): made once, then read by every later start. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './lib/private-dir.ts';

export const adminTokenFile = (dataDir: string): string => join(dataDir, 'admin-token');

/** The token in the data directory, if there is one. */
export function readAdminToken(dataDir: string): string | undefined {
  const file = adminTokenFile(dataDir);
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token === '' ? undefined : token;
}

/** `given` when set; else the data directory's token, made and saved on first use; without a data dir, a fresh one. */
export function loadOrCreateAdminToken(dataDir: string | undefined, given: string | undefined): string {
  if (given) return given;
  const existing = dataDir ? readAdminToken(dataDir) : undefined;
  if (existing) return existing;
  const token = randomBytes(24).toString('base64url');
  if (dataDir) {
    ensurePrivateDir(dataDir); // the token is a secret: owner-only directory, whatever the umask
    writeFileSync(adminTokenFile(dataDir), `${token}\n`, { mode: 0o600 });
  }
  return token;
}
