/**
 * Wires the request log into the root Fastify instance: the writer, decorated on the instance and flushed when it
 * closes, and the recorder the root's one `onResponse` hook calls with the request's tags (server.ts) — one hook and
 * one reading of the path per request serve the log line, the metrics and this log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Dialect, RequestTags } from '../observability/request-tags.ts';
import type { GatewayDeps } from '../server-deps.ts';
import './note.ts';
import { DEFAULT_REQUEST_LOG_OPTIONS, RequestLogWriter, type RequestLogOptions } from './writer.ts';

declare module 'fastify' {
  interface FastifyInstance {
    requestLog: RequestLogWriter;
  }
}

/** The log's name for each API dialect (Global/HK is APIv3 here); sandbox and operational paths are not API calls. */
const LOGGED_AS: Readonly<Record<Dialect, string | null>> = {
  'wechatpay-v3': 'wechatpay-v3',
  'wechatpay-global': 'wechatpay-v3',
  'wechatpay-v2': 'wechatpay-v2',
  paycloud: 'paycloud',
  sandbox: null,
  ops: null,
};

/** Records an answered request in the log; called once per request, after the answer has left. */
export type RequestRecorder = (request: FastifyRequest, reply: FastifyReply, tags: RequestTags) => void;

/**
 * `METHOD /route/:pattern`, from the route the tags read (Fastify builds a new object of a dozen fields per
 * `routeOptions` read); a PayCloud call's operation is its method, which its note holds.
 */
function routeOperation(request: FastifyRequest, tags: RequestTags): string | undefined {
  return tags.operation === 'unknown' ? undefined : `${request.method} ${tags.operation}`;
}

/**
 * Decorates the instance with the log's writer (closed, so flushed, with the instance) and returns the recorder —
 * none with `--request-log-rows 0`, which keeps no rows: the request path then pays nothing for the log.
 */
export function installRequestLog(app: FastifyInstance, deps: GatewayDeps, options: RequestLogOptions = DEFAULT_REQUEST_LOG_OPTIONS): RequestRecorder | null {
  const writer = new RequestLogWriter(
    deps.sql,
    () => deps.clock.now(),
    options,
    (err) => app.log.warn({ err }, 'request log write failed'),
  );
  app.decorate('requestLog', writer);
  app.decorateRequest('requestLogNote', null);
  app.addHook('onClose', async () => writer.close());
  if (options.maxRows === 0) return null;
  return (request, reply, tags) => {
    const dialect = LOGGED_AS[tags.dialect];
    if (dialect === null) return;
    const note = request.requestLogNote;
    writer.push({
      at: deps.clock.now(),
      dialect,
      method: request.method,
      url: request.raw.url ?? request.url,
      status: reply.statusCode,
      latencyMs: reply.elapsedTime,
      requestId: request.tradegateRequestId,
      body: request.body,
      mchid: note?.mchid,
      operation: note?.operation ?? routeOperation(request, tags),
      errorCode: note?.errorCode,
      message: note?.message,
      diagnostics: note?.diagnostics,
    });
  };
}
