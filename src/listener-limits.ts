/**
 * Limits of the HTTP and HTTPS listeners against slow or greedy clients. Without them (Fastify's default
 * `requestTimeout` is 0) a client that sends headers and a few bytes of a declared body holds its connection
 * forever, and enough such clients exhaust the process.
 *
 * - `headersTimeoutMs`: the whole request head must arrive within this;
 * - `requestTimeoutMs`: the whole request (head and body) must arrive within this;
 * - `keepAliveTimeoutMs`: an idle keep-alive connection between requests is closed after this;
 * - `maxConnections`: connections beyond this are refused at accept.
 *
 * None of them limits how long the gateway takes to ANSWER: Node's request and header timeouts end when the
 * request has been received, and no idle-socket timeout is set. A deliberately held answer (a fault injection
 * hold) is therefore not cut; should an idle-socket timeout be added later, exempt such a request with
 * `request.raw.socket.setTimeout(0)` — the timeouts here are per-listener, not per-request, in Node.
 */
import type { ServerOptions as HttpServerOptions } from 'node:http';

export interface ListenerLimits {
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 2_048,
};

/** Node refuses a head timeout longer than the request timeout; a 0 would mean "no limit". */
export function checkListenerLimits(limits: ListenerLimits): ListenerLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`invalid ${name}: ${value} (a whole number ≥ 1)`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(`headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return limits;
}

/**
 * Options for `http.createServer` / `https.createServer`. Node checks the two timeouts on a timer
 * (`connectionsCheckingInterval`, 30 s by default), so a cut would come up to 30 s late; check often enough that
 * the configured time is what a client sees.
 */
export function serverTimeoutOptions(limits: ListenerLimits): HttpServerOptions {
  const interval = Math.max(50, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 2)));
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: interval,
  };
}
