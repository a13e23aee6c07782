/**
 * The gateway's sockets, bound before anything else happens at start: a port in use fails the start at once,
 * before the data directory is locked or written. Until the gateway is ready every request gets a short answer
 * (`/healthz` 200, everything else 503 `starting`); then Fastify takes the socket over through `serverFactory`.
 * The HTTPS listener starts without a certificate (handshakes fail) because its certificate comes from the
 * database: `setCertificate` installs it once the database is open.
 *
 * Fastify applies its server settings only to a server it creates itself, never to one from `serverFactory`, so
 * the listener limits (listener-limits.ts: request, head and keep-alive timeouts, the connection cap) are given
 * to the server here, when it is created; Node takes `connectionsCheckingInterval` at construction only, and a
 * limit set here already holds while the gateway is still starting.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { DEFAULT_LISTENER_LIMITS, serverTimeoutOptions, type ListenerLimits } from './listener-limits.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly what: string,
  ) {
    super(`${what} port ${port} on ${host} is already in use`);
  }
}

export interface Listener {
  readonly server: Server | HttpsServer;
  readonly port: number;
  /** For Fastify's `serverFactory`: its handler replaces the starting answer; the socket stays bound. */
  serverFactory(handler: Handler, options: FactoryOptions): Server;
  close(): Promise<void>;
}

/** The server settings Fastify would apply to a server it created itself (it skips them for a factory's). */
interface FactoryOptions {
  readonly connectionTimeout?: number;
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly maxRequestsPerSocket?: number;
  /** Node's own server options (Fastify's `http`); of these only the head timeout can still change after creation. */
  readonly http?: { readonly headersTimeout?: number } | null;
}

function startingAnswer(req: IncomingMessage, res: ServerResponse): void {
  const alive = (req.url ?? '').split('?')[0] === '/healthz';
  res.writeHead(alive ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', ...(alive ? {} : { 'retry-after': '1' }) });
  res.end(JSON.stringify(alive ? { status: 'ok' } : { status: 'starting' }));
}

export async function bindListener(host: string, port: number, kind: 'HTTP' | 'HTTPS', limits: ListenerLimits = DEFAULT_LISTENER_LIMITS): Promise<Listener> {
  let handler: Handler = startingAnswer;
  const dispatch: Handler = (req, res) => handler(req, res);
  const timeouts = serverTimeoutOptions(limits);
  // The HTTPS listener asks for a client certificate without requiring one at the handshake: only /secapi/* needs it.
  const server =
    kind === 'HTTPS' ? createHttpsServer({ ...timeouts, requestCert: true, rejectUnauthorized: false }, dispatch) : createHttpServer(timeouts, dispatch);
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port, kind) : err));
    server.listen({ host, port }, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    serverFactory(next, options) {
      handler = next;
      if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
      if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
      if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
      if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
      if (options.http?.headersTimeout !== undefined) server.headersTimeout = options.http.headersTimeout;
      return server as Server;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests in flight get a moment to finish; keep-alive connections that stay open are cut then.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

/** Installs the HTTPS listener's certificate (and the CA its client certificates must chain to). */
export function setCertificate(listener: Listener, context: SecureContextOptions): void {
  (listener.server as HttpsServer).setSecureContext(context);
}
