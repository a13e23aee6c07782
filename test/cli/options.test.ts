/**
 * The CLI refuses conflicting or invalid options with one line and exit code 1, before it starts anything;
 * `--version` is the package's version. Each case runs the built `tradegate` as a user would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'tradegate-opts-'));
after(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '', TRADEGATE_LOG_LEVEL: '', TRADEGATE_WORKERS: '', TRADEGATE_DATA_DIR: '' };

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['bin/tradegate.mjs', ...args], { cwd: ROOT, env: { ...ENV, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = cli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), version);
});

const refusals: { args: string[]; env?: NodeJS.ProcessEnv; says: RegExp }[] = [
  { args: ['clock', 'advance', '1900000001', '-5', '--admin-token', 't'], says: /seconds must be a number ≥ 0, not -5/ },
  { args: ['clock', 'advance', '1900000001', 'soon', '--admin-token', 't'], says: /seconds must be a number ≥ 0, not soon/ },
  { args: ['pay', '1900000001', 'A1', '--confirm', '--abandon', '--admin-token', 't'], says: /'--confirm' cannot be used with option '--abandon'/ },
  { args: ['start', '--log-level', 'loud'], says: /'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/ },
  { args: ['start'], env: { TRADEGATE_LOG_LEVEL: 'loud' }, says: /invalid TRADEGATE_LOG_LEVEL: loud/ },
  { args: ['start', '--port', '99999'], says: /invalid --port: 99999/ },
  { args: ['start', '--port', '80a'], says: /invalid --port: 80a/ },
  { args: ['start'], env: { TRADEGATE_TLS_PORT: '-1' }, says: /invalid TRADEGATE_TLS_PORT: -1/ },
  { args: ['start', '--workers', '0'], says: /invalid --workers: 0/ },
  { args: ['start', '--cpu-scheduling', 'fifo'], says: /'fifo' is invalid\. Allowed choices are default, batch/ },
  { args: ['start'], env: { TRADEGATE_CPU_SCHEDULING: 'idle' }, says: /invalid TRADEGATE_CPU_SCHEDULING: idle \(default or batch\)/ },
  { args: ['start', '--v8-pretenuring', 'maybe'], says: /'maybe' is invalid\. Allowed choices are off, on/ },
  { args: ['start', '--workers', '2'], says: /--workers needs --database-url/ },
  { args: ['start'], env: { TRADEGATE_WORKERS: '2' }, says: /--workers needs --database-url/ },
  { args: ['start'], env: { TRADEGATE_ALLOW_INSECURE_SECAPI: 'maybe' }, says: /invalid TRADEGATE_ALLOW_INSECURE_SECAPI: maybe/ },
  { args: ['merchant', 'create', '--mode', 'sub_merchant', '--admin-token', 't'], says: /--mode sub_merchant needs --sp-mchid/ },
  { args: ['merchant', 'create', '--region', 'mars', '--admin-token', 't'], says: /'mars' is invalid/ },
  { args: ['pay', '1900000001', 'A1', '--data-dir', '/nonexistent-tradegate'], says: /an admin token is needed: .*looked in \/nonexistent-tradegate/ },
];

for (const { args, env, says } of refusals) {
  test(`refused in one line: ${Object.entries(env ?? {})
    .map(([k, v]) => `${k}=${v} `)
    .join('')}tradegate ${args.join(' ')}`, () => {
    const dataDir = join(work, `d${Math.random().toString(36).slice(2)}`);
    const r = cli(args[0] === 'start' ? [...args, '--data-dir', dataDir] : args, env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, says);
    assert.match(r.stderr, /^tradegate: /);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(dataDir), false, 'nothing written');
  });
}
