/**
 * Secrets are never world-readable: `tradegate start` under umask 022 (the usual shell default) leaves no file or
 * directory under the data dir readable, writable or searchable by group or others — the embedded database (WAL
 * with every merchant's API key, private keys, the sandbox CA key), the admin token, credentials files — and an
 * existing data dir that was too open is tightened at start, with a line in the log saying so.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const parent = mkdtempSync(join(tmpdir(), 'tradegate-perm-'));
after(() => rmSync(parent, { recursive: true, force: true }));

/** `tradegate start` from a shell whose umask is 022; resolves with the process and its output once it listens. */
function startUnderUmask022(dataDir: string): Promise<{ child: ChildProcess; out: () => string; baseUrl: string; token: string }> {
  const command = `umask 022 && exec "${process.execPath}" bin/tradegate.mjs start --port 0 --tls-port 0 --data-dir "${dataDir}" --log-level warn`;
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 90 s: ${out}`)), 90_000);
    // The banner is on stderr (it shows the admin token); stdout has the JSON logs.
    child.stderr!.on('data', () => {
      const base = /tradegate listening on (\S+)/.exec(out)?.[1];
      const token = /admin token: (\S+)/.exec(out)?.[1];
      if (base && token) {
        clearTimeout(timer);
        resolve({ child, out: () => out, baseUrl: base, token });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Every path under `root` (root included) whose mode grants anything to group or others. */
function openToOthers(root: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) found.push(`${(st.mode & 0o777).toString(8)} ${path}`);
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return found;
}

test('under umask 022 a fresh data dir and everything in it is owner-only, while running and after', { timeout: 180_000 }, async () => {
  const dataDir = join(parent, 'fresh');
  const gw = await startUnderUmask022(dataDir);
  try {
    const res = await fetch(new URL('/sandbox/merchants', gw.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 201, 'a merchant (with its credentials file and keys in the database) was made');
    assert.equal(lstatSync(dataDir).mode & 0o777, 0o700);
    assert.deepEqual(openToOthers(dataDir), [], 'while running');
  } finally {
    await stop(gw.child);
  }
  assert.deepEqual(openToOthers(dataDir), [], 'after a clean stop');
});

test('an existing data dir that others could read is tightened at start, and the log says so', { timeout: 180_000 }, async () => {
  const dataDir = join(parent, 'loose');
  mkdirSync(join(dataDir, 'merchants'), { recursive: true });
  writeFileSync(join(dataDir, 'merchants', 'old.json'), '{"apiV2Key":"x"}');
  writeFileSync(join(dataDir, 'admin-token'), 'loose-token\n');
  for (const [path, mode] of [
    [dataDir, 0o755],
    [join(dataDir, 'merchants'), 0o777],
    [join(dataDir, 'merchants', 'old.json'), 0o666],
    [join(dataDir, 'admin-token'), 0o644],
  ] as const) {
    chmodSync(path, mode);
  }
  const gw = await startUnderUmask022(dataDir);
  try {
    assert.equal(gw.token, 'loose-token');
    assert.deepEqual(openToOthers(dataDir), []);
    assert.match(gw.out(), /permissions tightened to owner-only/);
  } finally {
    await stop(gw.child);
  }
});
