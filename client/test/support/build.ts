/**
 * The compiled client (dist/), which the crashing POS processes, the CLI and the README example run, as a merchant
 * would install it. `npm test` builds it first; a test run alone builds it when src/ is newer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CLIENT = join(import.meta.dirname, '../..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function ensureBuilt(): void {
  const built = join(CLIENT, 'dist/index.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(CLIENT, 'src'))) return;
  execFileSync(process.execPath, [join(CLIENT, '../node_modules/typescript/bin/tsc'), '-p', join(CLIENT, 'tsconfig.build.json')], { stdio: 'inherit' });
}
