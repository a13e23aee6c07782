/** Composition of the HTTP surface: one Fastify instance, one encapsulated plugin per dialect plus the sandbox. */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { answerFrameworkError, refusalOf, sendRefusal } from './transport-errors.ts';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { payCloudPlugin } from './protocols/paycloud/plugin.ts';
import { wechatpayV2Plugin } from './protocols/wechatpay-v2/plugin.ts';
import { newRequestId, wechatpayV3Plugin } from './protocols/wechatpay-v3/plugin.ts';
import { sandboxPlugin, type SandboxOptions } from './sandbox/admin-plugin.ts';
import { registerSandboxOpenApi } from './sandbox/openapi.ts';
import type { GatewayDeps } from './server-deps.ts';
import type { Listener } from './listeners.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { opsPlugin, type OpsOptions } from './observability/ops-plugin.ts';
import { initialTags, outcomeOf } from './observability/request-tags.ts';
import { DEFAULT_LISTENER_LIMITS, serverTimeoutOptions, type ListenerLimits } from './listener-limits.ts';
import { dashboardPlugin } from './dashboard/plugin.ts';
import { installRequestLog } from './request-log/hook.ts';
import type { RequestLogOptions } from './request-log/writer.ts';

export interface ServerOptions {
  readonly sandbox: SandboxOptions;
  readonly logger?: FastifyServerOptions['logger'];
  /** TLS options of the HTTPS listener (mutual TLS for APIv2 /secapi/*); absent: plain HTTP. */
  readonly https?: HttpsServerOptions;
  /** Serve APIv2 /secapi/* over plain HTTP too (`--allow-insecure-secapi`). */
  readonly allowInsecureSecapi?: boolean;
  /** /healthz, /readyz, /metrics and request metrics; absent: a registry of its own, always ready (HTTP-surface tests). */
  readonly ops?: OpsOptions;
  /** A socket bound before the gateway started (listeners.ts); absent: Fastify makes its own server. */
  readonly listener?: Listener;
  /** Sees every route as it is registered (tests compare the routes with the OpenAPI document). */
  readonly onRoute?: (route: RouteOptions) => void;
  /** Timeouts and the connection cap against slow clients (listener-limits.ts); absent: the defaults. */
  readonly limits?: ListenerLimits;
  /** Bounds and batching of the request log (defaults: 100,000 rows, 7 days). */
  readonly requestLog?: RequestLogOptions;
}

/** Header names whose values are secrets: never logged. */
export const REDACTED_HEADERS = ['req.headers.authorization', 'req.headers["x-admin-token"]'];

export async function buildServer(deps: GatewayDeps, options: ServerOptions): Promise<FastifyInstance> {
  const limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
  const timeouts = serverTimeoutOptions(limits);
  const common = {
    logger: options.logger ?? false,
    // Fastify sets these on the server after creating it; the same values go to the constructor (`http`/`https`),
    // the only place Node takes connectionsCheckingInterval.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: timeouts,
    // A malformed URL is refused before routing; it still gets its dialect's answer.
    frameworkErrors: (error: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply) =>
      answerFrameworkError(deps, error, request.raw.url ?? request.url, reply),
    genReqId: () => newRequestId(),
    bodyLimit: 1024 * 1024,
    // Paths are matched as sent: signatures cover the exact request target.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: true },
    // One line per request, written in onResponse below with what the request was (cheaper than Fastify's two).
    logController: new LogController({ disableRequestLogging: true }),
    // Routes with schemas (the sandbox API) refuse unknown fields instead of dropping them silently.
    ajv: { customOptions: { removeAdditional: false } },
  };
  const ops = options.ops ?? { metrics: new GatewayMetrics(), readiness: { notReadyBecause: async () => null } };
  // The HTTPS instance serves the same routes; only its raw server type differs, which no plugin depends on.
  // A listener bound earlier (gateway.ts) is handed over as the server; its TLS settings and its limits (timeouts
  // and connectionsCheckingInterval, which Node takes only at construction) were set when it was bound.
  const app = (options.listener
    ? Fastify({ ...common, serverFactory: options.listener.serverFactory as never })
    : options.https
      ? Fastify({ ...common, https: { ...timeouts, ...options.https } })
      : Fastify(common)) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  app.decorateRequest('tradegateRequestId', '');
  app.decorateRequest('tags', null as never);
  app.decorateRequest('faultRequest', null);
  // A callback hook, like the one below: an async hook costs a promise per request for work that never waits.
  app.addHook('onRequest', (request, _reply, done) => {
    request.tradegateRequestId = String(request.id);
    request.tags = initialTags(request);
    done();
  });
  const recordRequest = installRequestLog(app, deps, options.requestLog);
  // One hook for everything said about an answered request: the log line, the metrics and the request log, from the
  // one set of tags (a callback, not async: no promise per request).
  app.addHook('onResponse', (request, reply, done) => {
    const tags = request.tags ?? initialTags(request); // framework errors are answered before onRequest
    const outcome = outcomeOf(tags, reply.statusCode);
    ops.metrics.request(tags.dialect, tags.operation, outcome, tags.errorCode ?? '', reply.elapsedTime / 1000);
    const line = {
      dialect: tags.dialect,
      operation: tags.operation,
      mchid: tags.mchid,
      code: tags.errorCode,
      outcome,
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (outcome === 'error') request.log.warn(line, 'request failed');
    else request.log.info(line, 'request');
    recordRequest?.(request, reply, tags);
    done();
  });

  // Unknown paths get their body read as bytes (never parsed) so that only the not-found answer can follow.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === undefined || status >= 500) request.log.error({ err: error }, 'unexpected error outside the dialect plugins');
    return sendRefusal(
      deps,
      request,
      reply,
      status !== undefined && status < 500 ? refusalOf(status, request.url) : { status: 500, code: 'SYSTEM_ERROR', message: 'system error' },
    );
  });

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  await registerSandboxOpenApi(app);
  await app.register(wechatpayV3Plugin(deps));
  await app.register(payCloudPlugin(deps));
  await app.register(
    wechatpayV2Plugin(deps, {
      secapi: { allowInsecure: options.allowInsecureSecapi ?? false, httpsBaseUrl: () => options.sandbox.urls.httpsBaseUrl },
    }),
  );
  await app.register(sandboxPlugin(deps, options.sandbox));
  await app.register(dashboardPlugin(deps, options.sandbox));
  await app.register(opsPlugin(ops));

  app.setNotFoundHandler((request, reply) => sendRefusal(deps, request, reply, refusalOf(404, request.url)));
  return app;
}
