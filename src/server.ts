/** Composition of the HTTP surface: one Fastify instance, one encapsulated plugin per dialect plus the sandbox. */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { payCloudPlugin } from './protocols/paycloud/plugin.ts';
import { wechatpayV2Plugin } from './protocols/wechatpay-v2/plugin.ts';
import { newRequestId, wechatpayV3Plugin } from './protocols/wechatpay-v3/plugin.ts';
import { sandboxPlugin, type SandboxOptions } from './sandbox/admin-plugin.ts';
import type { GatewayDeps } from './server-deps.ts';

export interface ServerOptions {
  readonly sandbox: SandboxOptions;
  readonly logger?: FastifyServerOptions['logger'];
  /** TLS options of the HTTPS listener (mutual TLS for APIv2 /secapi/*); absent: plain HTTP. */
  readonly https?: HttpsServerOptions;
  /** Serve APIv2 /secapi/* over plain HTTP too (`--allow-insecure-secapi`). */
  readonly allowInsecureSecapi?: boolean;
}

/** Header names whose values are secrets: never logged. */
export const REDACTED_HEADERS = ['req.headers.authorization', 'req.headers["x-admin-token"]'];

export async function buildServer(deps: GatewayDeps, options: ServerOptions): Promise<FastifyInstance> {
  const common = {
    logger: options.logger ?? false,
    genReqId: () => newRequestId(),
    bodyLimit: 1024 * 1024,
    // Paths are matched as sent: signatures cover the exact request target.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: true },
  };
  // The HTTPS instance serves the same routes; only its raw server type differs, which no plugin depends on.
  const app = (options.https ? Fastify({ ...common, https: options.https }) : Fastify(common)) as unknown as FastifyInstance;
  app.decorateRequest('tradegateRequestId', '');
  app.addHook('onRequest', async (request) => {
    request.tradegateRequestId = String(request.id);
  });

  await app.register(wechatpayV3Plugin(deps));
  await app.register(payCloudPlugin(deps));
  await app.register(wechatpayV2Plugin(deps, {
    secapi: { allowInsecure: options.allowInsecureSecapi ?? false, httpsBaseUrl: () => options.sandbox.urls.httpsBaseUrl },
  }));
  await app.register(sandboxPlugin(deps, options.sandbox));

  app.setNotFoundHandler((request, reply) => {
    reply.header('Request-ID', request.tradegateRequestId).code(404).type('application/json; charset=utf-8');
    return reply.send(JSON.stringify({ code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` }));
  });
  return app;
}
