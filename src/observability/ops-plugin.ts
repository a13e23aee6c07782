/**
 * Operations endpoints, outside every dialect and without the admin token, so load balancers and Prometheus can
 * reach them: they reveal nothing about merchants. `/healthz`: the process answers. `/readyz`: started, database
 * reachable, every migration of this build applied (503 with the reason otherwise). `/metrics`: Prometheus text.
 */
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from './metrics.ts';

export interface Readiness {
  /** `null` when ready, else why not (`starting`, `database unreachable`, `migrations pending`). */
  notReadyBecause(): Promise<string | null>;
}

export interface OpsOptions {
  readonly metrics: GatewayMetrics;
  readonly readiness: Readiness;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function opsPlugin(options: OpsOptions) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async (_request, reply) =>
      reply
        .code(200)
        .type(JSON_TYPE)
        .send(JSON.stringify({ status: 'ok' })),
    );
    app.get('/readyz', async (_request, reply) => {
      const reason = await options.readiness.notReadyBecause();
      if (reason === null)
        return reply
          .code(200)
          .type(JSON_TYPE)
          .send(JSON.stringify({ status: 'ready' }));
      return reply
        .code(503)
        .header('retry-after', '1')
        .type(JSON_TYPE)
        .send(JSON.stringify({ status: 'not ready', reason }));
    });
    app.get('/metrics', async (_request, reply) =>
      reply
        .code(200)
        .type(options.metrics.contentType)
        .send(await options.metrics.text()),
    );
  };
}
