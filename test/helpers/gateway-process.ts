/**
 * Gateway processes for multi-process and crash tests: `node bin/tradegate.mjs start` as a child process on a
 * PostgreSQL schema of the test run. The schema travels in the database URL (`options=-c search_path=<schema>`,
 * which node-postgres passes to the server), so no flag beyond the documented ones is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** `url` with `search_path` set to `schema` for every connection. */
export function schemaUrl(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** A port that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface GatewayProcessOptions {
  readonly databaseUrl: string;
  readonly adminToken: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  /** The HTTPS listener's port; 0 (default): any free port. */
  readonly tlsPort?: number;
  readonly logLevel?: string;
  readonly extraArgs?: readonly string[];
  readonly startTimeoutMs?: number;
  /** Sees stderr as it arrives (e.g. to act once the process logs that it waits for the database). */
  readonly onStderr?: (chunk: string) => void;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly baseUrl: string;
  /** The HTTPS listener (mutual TLS for APIv2 /secapi/*). */
  readonly httpsBaseUrl: string;
  readonly port: number;
  /** Everything the process wrote to stderr (warnings, errors). */
  stderr(): string;
  /** Everything the process wrote to stdout (its JSON logs). */
  stdout(): string;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful close), then waits for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts one gateway process and resolves once it listens (its banner names the base URL). */
export async function startGatewayProcess(o: GatewayProcessOptions): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradegate-proc-'));
  const args = [
    'bin/tradegate.mjs',
    'start',
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port ?? 0),
    '--tls-port',
    String(o.tlsPort ?? 0),
    '--database-url',
    o.databaseUrl,
    '--admin-token',
    o.adminToken,
    '--data-dir',
    dataDir,
    '--log-level',
    o.logLevel ?? 'warn',
    ...(o.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '', TRADEGATE_PORT: '', TRADEGATE_TLS_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
    o.onStderr?.(String(d));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in time: ${out} ${err}`)), o.startTimeoutMs ?? 90_000);
    const onData = () => {
      const m = /tradegate listening on (http:\/\/\S+)/.exec(err);
      // The banner (on stderr: it shows the admin token) is written in one piece once everything is up.
      if (m && err.includes('admin token')) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening: ${out} ${err}`));
    });
  });
  const kill = async (signal: NodeJS.Signals, graceMs?: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    if (graceMs !== undefined) {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  };
  return {
    child,
    pid: child.pid!,
    baseUrl,
    httpsBaseUrl: /https: +(https:\/\/\S+)/.exec(err)?.[1] ?? '',
    port: Number(new URL(baseUrl).port),
    stderr: () => err,
    stdout: () => out,
    exited,
    kill9: () => kill('SIGKILL'),
    stop: (graceMs = 10_000) => kill('SIGTERM', graceMs),
  };
}
