/**
 * PgBouncer (Debian's, 1.18) in transaction pooling mode on a free port, in front of the PostgreSQL server of
 * TEST_DATABASE_URL, pointing at a database made for the run (`tradegate_run_<random>`, dropped at stop):
 * PgBouncer 1.18 refuses the `options` startup parameter, so a run cannot choose its schema that way. Its pool
 * is smaller than the clients' pools, so server connections really are shared between transactions.
 *
 * PgBouncer refuses to run as root: as root it is started with `-u postgres`, its config and auth files in a
 * temporary directory owned by that user (the auth file is a secret of PgBouncer's: not world-readable).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './gateway-process.ts';

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The pgbouncer binary, or null when it is not installed. */
export function pgbouncerBinary(): string | null {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export interface PgBouncer {
  /** postgres:// URL of the run's database through PgBouncer. */
  readonly url: string;
  /** The same database, directly on the server (for what PgBouncer should not carry, e.g. DROP DATABASE). */
  readonly directUrl: string;
  /** Everything PgBouncer logged (its errors explain a failed run). */
  log(): string;
  stop(): Promise<void>;
}

async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function startPgBouncer(serverUrl: string, poolSize = 6): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer)');
  const server = new URL(serverUrl);
  const database = `tradegate_run_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
  const directUrl = new URL(serverUrl);
  directUrl.pathname = `/${database}`;

  const dir = mkdtempSync(join(tmpdir(), 'tradegate-pgbouncer-'));
  const port = await freePort();
  const user = decodeURIComponent(server.username || 'postgres');
  const asRoot = process.getuid?.() === 0;
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" "${decodeURIComponent(server.password)}"\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = host=${server.hostname} port=${server.port || 5432} dbname=${database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // trust between PgBouncer and the test's clients (loopback only); PgBouncer still needs the user listed.
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
  }
  chmodSync(dir, 0o700);

  let stderr = '';
  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    try {
      return `${stderr}${execFileSync('cat', [join(dir, 'pgbouncer.log')], { encoding: 'utf8' })}`;
    } catch {
      return stderr;
    }
  };

  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.pathname = `/${database}`;
  url.search = '';
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`));
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once a query goes through (PgBouncer needs a moment to listen).
  for (let attempt = 0; ; attempt++) {
    try {
      await onServer(url.toString(), (c) => c.query('SELECT 1'));
      break;
    } catch (err) {
      if (attempt >= 50 || child.exitCode !== null) {
        await stop().catch(() => undefined);
        throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url: url.toString(), directUrl: directUrl.toString(), log, stop };
}
