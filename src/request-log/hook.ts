/** Wires the request log into the root Fastify instance: one onResponse hook that pushes a record per API call. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dialectOf } from '../transport-errors.ts';
import type { GatewayDeps } from '../server-deps.ts';
import './note.ts';
import { DEFAULT_REQUEST_LOG_OPTIONS, RequestLogWriter, type RequestLogOptions } from './writer.ts';

declare module 'fastify' {
  interface FastifyInstance {
    requestLog: RequestLogWriter;
  }
}

const DIALECT_NAMES = { v3: 'wechatpay-v3', v2: 'wechatpay-v2', paycloud: 'paycloud' } as const;

/** `METHOD /route/:pattern`; read once: Fastify builds a new object of a dozen fields per `routeOptions` read. */
function routeOperation(request: FastifyRequest): string | undefined {
  const route = request.routeOptions.url;
  return route ? `${request.method} ${route}` : undefined;
}

/**
 * Every request to a dialect's paths is logged (sandbox, dashboard and operational endpoints are not API calls).
 * The writer is closed (flushed) with the instance.
 */
export function installRequestLog(app: FastifyInstance, deps: GatewayDeps, options: RequestLogOptions = DEFAULT_REQUEST_LOG_OPTIONS): RequestLogWriter {
  const writer = new RequestLogWriter(
    deps.sql,
    () => deps.clock.now(),
    options,
    (err) => app.log.warn({ err }, 'request log write failed'),
  );
  app.decorate('requestLog', writer);
  app.decorateRequest('requestLogNote', null);
  app.addHook('onClose', async () => writer.close());
  // `--request-log-rows 0` keeps no rows: nothing is recorded (the request path then pays nothing for the log).
  if (options.maxRows === 0) return writer;
  app.addHook('onResponse', (request, reply, done) => {
    const url = request.raw.url ?? request.url;
    const dialect = dialectOf(url);
    if (dialect !== 'sandbox') {
      const note = request.requestLogNote;
      writer.push({
        at: deps.clock.now(),
        dialect: DIALECT_NAMES[dialect],
        method: request.method,
        url,
        status: reply.statusCode,
        latencyMs: reply.elapsedTime,
        requestId: request.tradegateRequestId,
        body: request.body,
        mchid: note?.mchid,
        operation: note?.operation ?? routeOperation(request),
        errorCode: note?.errorCode,
        message: note?.message,
        diagnostics: note?.diagnostics,
      });
    }
    done();
  });
  return writer;
}
