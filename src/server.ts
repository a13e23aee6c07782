/** Composition of the HTTP surface: one Fastify instance, one encapsulated plugin per dialect plus the sandbox. */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { newRequestId, wechatpayV3Plugin } from './protocols/wechatpay-v3/plugin.ts';
import { sandboxPlugin, type SandboxOptions } from './sandbox/admin-plugin.ts';
import type { GatewayDeps } from './server-deps.ts';

export interface ServerOptions {
  readonly sandbox: SandboxOptions;
  readonly logger?: FastifyServerOptions['logger'];
}

/** Header names whose values are secrets: never logged. */
export const REDACTED_HEADERS = ['req.headers.authorization', 'req.headers["x-admin-token"]'];

export async function buildServer(deps: GatewayDeps, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => newRequestId(),
    bodyLimit: 1024 * 1024,
    // Paths are matched as sent: signatures cover the exact request target.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: true },
  });
  app.decorateRequest('tradegateRequestId', '');
  app.addHook('onRequest', async (request) => {
    request.tradegateRequestId = String(request.id);
  });

  await app.register(wechatpayV3Plugin(deps));
  await app.register(sandboxPlugin(deps, options.sandbox));

  app.setNotFoundHandler((request, reply) => {
    reply.header('Request-ID', request.tradegateRequestId).code(404).type('application/json; charset=utf-8');
    return reply.send(JSON.stringify({ code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` }));
  });
  return app;
}
