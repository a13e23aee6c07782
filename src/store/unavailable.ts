/**
 * Errors that mean "the database could not be reached or did not answer in time", as opposed to a refusal of a
 * statement. The dialects answer every store failure with their system error anyway; the sandbox API answers
 * these with 503 (retry later) instead of 500, and the process-level guards keep serving through them.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATE classes 08 (connection exception), 57P0x (operator intervention: shutdown, crash), 53300 (too many connections). */
const SQLSTATE = /^(08...|57P0[1-4]|53300)$/;
/** node-postgres and pg-pool report these without a code. */
const MESSAGES =
  /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  }
  return false;
}
