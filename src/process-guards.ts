/**
 * What keeps a gateway process serving through a database outage: the store options that bound every wait on
 * PostgreSQL and report broken connections, and process-level handlers for what escapes every other handler.
 */
import type { GatewayConfig } from './config.ts';
import type { StoreOptions } from './store/open-store.ts';
import { isDatabaseUnavailable } from './store/unavailable.ts';

/** stderr still has a reader: once a write to it failed (the pipe's reader exited), the process's lines are dropped. */
let stderrOpen = true;

const say = (line: string) => {
  if (stderrOpen) process.stderr.write(`tradegate: ${line}\n`);
};

/** A burst of broken connections (a server restart breaks all of them at once) is reported once a second. */
function throttled(report: (err: Error) => void): (err: Error) => void {
  let last = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    report(err);
  };
}

export function databaseStoreOptions(config: GatewayConfig, dataDir?: string): StoreOptions {
  return {
    databaseUrl: config.databaseUrl,
    ...(dataDir === undefined ? {} : { dataDir }),
    connectTimeoutMs: config.database.connectTimeoutMs,
    queryTimeoutMs: config.database.queryTimeoutMs,
    preparedStatements: config.database.preparedStatements,
    connections: config.database.connections,
    sharedTransactions: config.database.sharedTransactions,
    waitForDatabaseMs: config.database.waitForDatabaseMs,
    onWaiting: (err, retryInMs) => say(`waiting for the database (${err.message}); retrying in ${retryInMs} ms`),
    onConnectionError: throttled((err) => say(`database connection lost (${err.message}); the pool opens new ones as needed`)),
  };
}

/**
 * Last-resort handlers. A rejection nobody handled is logged and the process keeps serving: every request's own
 * path already answered (or will time out into) its system error. An uncaught exception is survivable only when
 * it is a database connection failure (nothing of ours was half-way through a synchronous update); anything else
 * leaves the process in an unknown state, so it is logged and the process exits (the supervisor restarts it).
 */
export function installProcessGuards(): void {
  // A closed stdout or stderr (whoever read the pipe exited: EPIPE) fails every later write with an 'error' event.
  // Unheard, that event is an uncaught exception whose report is one more write to stderr, which fails the same way:
  // a loop at full CPU (seen on a gateway whose parent was killed). What the process cannot write is dropped; the
  // gateway keeps serving, and its JSON logs have their own handler (observability/log-destination.ts).
  process.stderr.on('error', () => {
    stderrOpen = false;
  });
  process.stdout.on('error', () => undefined);
  process.on('unhandledRejection', (reason) => {
    say(`unhandled rejection (kept serving): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  process.on('uncaughtException', (err) => {
    if (isDatabaseUnavailable(err)) {
      say(`database error outside any request (kept serving): ${err.message}`);
      return;
    }
    say(`uncaught exception: ${err.stack ?? err.message}`);
    process.exit(1);
  });
}
