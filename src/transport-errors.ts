/**
 * Refusals that happen before any dialect's plugin owns the request — a malformed URL, an unknown path, a body
 * the root cannot frame — still answer in the dialect the path belongs to: APIv3 JSON `{code, message}`, APIv2
 * `return_code=FAIL` XML (HTTP 200), a signed PayCloud envelope (HTTP 200), or the sandbox's `{error, message}`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { newPsn } from './protocols/paycloud/ids.ts';
import { gatewayKeys } from './protocols/paycloud/gateway-key.ts';
import { buildResponse } from './protocols/paycloud/envelope.ts';
import { buildXml } from './protocols/wechatpay-v2/xml.ts';
import type { GatewayDeps } from './server-deps.ts';
import { dialectOfPath, tagRequest } from './observability/request-tags.ts';

export interface Refusal {
  readonly status: number;
  /** APIv3 / sandbox code (NOT_FOUND, PARAM_ERROR …). */
  readonly code: string;
  readonly message: string;
}

/** The answer as status, content type and body text. */
export async function renderRefusal(deps: GatewayDeps, url: string, refusal: Refusal): Promise<{ status: number; type: string; body: string; code: string }> {
  const json = 'application/json; charset=utf-8';
  // The path's dialect as the request's tags read it: one classification of paths for the whole gateway.
  switch (dialectOfPath(url.split('?')[0] ?? '')) {
    case 'wechatpay-v3':
    case 'wechatpay-global':
      return { status: refusal.status, type: json, body: JSON.stringify({ code: refusal.code, message: refusal.message }), code: refusal.code };
    case 'wechatpay-v2':
      return {
        status: 200,
        type: 'text/xml; charset=utf-8',
        body: buildXml({ return_code: 'FAIL', return_msg: refusal.status === 404 ? '接口不存在' : 'XML格式错误' }),
        code: 'FAIL',
      };
    case 'paycloud': {
      const { privateKey } = await gatewayKeys(deps.store);
      const code = refusal.status === 404 ? '1005' : '1007';
      return { status: 200, type: json, body: await buildResponse({ code, msg: refusal.message, psn: newPsn(), data: {} }, privateKey), code };
    }
    case 'sandbox':
    case 'ops':
      return { status: refusal.status, type: json, body: JSON.stringify({ error: refusal.code, message: refusal.message }), code: refusal.code };
  }
}

/** A framework error (Fastify's `status`) or an unknown route, as a refusal. */
export function refusalOf(status: number | undefined, url: string): Refusal {
  if (status === 404) return { status: 404, code: 'NOT_FOUND', message: `no route for ${url.split('?')[0]}` };
  if (status === 413) return { status: 413, code: 'PARAM_ERROR', message: 'request body too large' };
  return { status: 400, code: 'PARAM_ERROR', message: 'malformed request' };
}

export async function sendRefusal(deps: GatewayDeps, request: FastifyRequest, reply: FastifyReply, refusal: Refusal) {
  const r = await renderRefusal(deps, request.raw.url ?? request.url, refusal);
  tagRequest(request, { errorCode: r.code });
  return reply
    .code(r.status)
    .header('content-type', r.type)
    .header('Request-ID', request.tradegateRequestId || undefined)
    .send(r.body);
}

/** For Fastify's `frameworkErrors` (malformed URLs are refused before any route or hook runs). */
export function answerFrameworkError(deps: GatewayDeps, error: { statusCode?: number }, url: string, res: ServerResponse | FastifyReply) {
  const reply = res as FastifyReply;
  void renderRefusal(deps, url, refusalOf(error.statusCode ?? 400, url)).then((r) => {
    reply.code(r.status).header('content-type', r.type).send(r.body);
  });
}
