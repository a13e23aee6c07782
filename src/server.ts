/** Composition of the HTTP surface: one Fastify instance, one encapsulated plugin per dialect plus the sandbox. */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { answerFrameworkError, refusalOf, sendRefusal } from './transport-errors.ts';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { payCloudPlugin } from './protocols/paycloud/plugin.ts';
import { wechatpayV2Plugin } from './protocols/wechatpay-v2/plugin.ts';
import { newRequestId, wechatpayV3Plugin } from './protocols/wechatpay-v3/plugin.ts';
import { sandboxPlugin, type SandboxOptions } from './sandbox/admin-plugin.ts';
import { registerSandboxOpenApi } from './sandbox/openapi.ts';
import type { GatewayDeps } from './server-deps.ts';
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
    // Routes with schemas (the sandbox API) refuse unknown fields instead of dropping them silently.
    ajv: { customOptions: { removeAdditional: false } },
  };
  // The HTTPS instance serves the same routes; only its raw server type differs, which no plugin depends on.
  const app = (options.https ? Fastify({ ...common, https: { ...timeouts, ...options.https } }) : Fastify(common)) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  app.decorateRequest('tradegateRequestId', '');
  app.addHook('onRequest', async (request) => {
    request.tradegateRequestId = String(request.id);
  });
  installRequestLog(app, deps, options.requestLog);

  // Unknown paths get their body read as bytes (never parsed) so that only the not-found answer can follow.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === undefined || status >= 500) request.log.error({ err: error }, 'unexpected error outside the dialect plugins');
    return sendRefusal(deps, request, reply, status !== undefined && status < 500 ? refusalOf(status, request.url)
      : { status: 500, code: 'SYSTEM_ERROR', message: 'system error' });
  });

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  await registerSandboxOpenApi(app);
  await app.register(wechatpayV3Plugin(deps));
  await app.register(payCloudPlugin(deps));
  await app.register(wechatpayV2Plugin(deps, {
    secapi: { allowInsecure: options.allowInsecureSecapi ?? false, httpsBaseUrl: () => options.sandbox.urls.httpsBaseUrl },
  }));
  await app.register(sandboxPlugin(deps, options.sandbox));
  await app.register(dashboardPlugin(deps, options.sandbox));

  app.setNotFoundHandler((request, reply) => sendRefusal(deps, request, reply, refusalOf(404, request.url)));
  return app;
}
