/**
 * Mutual TLS on `/secapi/*` (wechatpay-v2.md §1.1). The HTTPS listener asks every client for a certificate but
 * does not reject at the handshake (other paths need none); what a `/secapi/*` request needs is decided here:
 * - over HTTPS without a certificate, or with one that does not chain to the sandbox CA: the connection is
 *   dropped with no HTTP answer, as the live service does;
 * - with a valid certificate whose subject CN is not the request's `mch_id`: `return_code=FAIL` (after the
 *   signature check, so only the key holder learns which certificate is wrong);
 * - over plain HTTP: `return_code=FAIL` naming the HTTPS address, unless insecure secapi is allowed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';

export interface SecapiOptions {
  /** Serve `/secapi/*` over plain HTTP too (`--allow-insecure-secapi`): quick trials only. */
  readonly allowInsecure: boolean;
  /** Where the HTTPS listener is, once it listens (null or absent: no HTTPS listener). */
  readonly httpsBaseUrl: () => string | null | undefined;
}

export const CERT_MISMATCH_MSG = '证书与商户号不匹配';

function tlsSocketOf(request: FastifyRequest): TLSSocket | null {
  const socket = request.raw.socket as Partial<TLSSocket> | null;
  return socket && socket.encrypted === true ? (socket as TLSSocket) : null;
}

export function isSecapi(path: string): boolean {
  return path.startsWith('/secapi/');
}

/**
 * Whether the connection carries a client certificate that chains to the CA. `authorized` alone is not enough:
 * a TLS 1.3 session resumed from a handshake without any certificate keeps that handshake's verification result
 * ("no error") and reports `authorized === true`; the certificate itself must be on the connection too.
 */
function hasVerifiedClientCertificate(socket: TLSSocket): boolean {
  if (!socket.authorized) return false;
  const peer = socket.getPeerCertificate();
  return peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0 && Boolean(peer.raw?.length);
}

/**
 * onRequest gate for `/secapi/*` over HTTPS: no verified client certificate → drop the connection before
 * reading the body. Returns true when the request was dropped.
 */
export function dropUnverifiedClient(request: FastifyRequest, reply: FastifyReply): boolean {
  const socket = tlsSocketOf(request);
  if (!socket || hasVerifiedClientCertificate(socket)) return false;
  reply.hijack();
  socket.destroy();
  return true;
}

/** The return-level refusal of a `/secapi/*` request over plain HTTP, or null when it may go on. */
export function plainHttpRefusal(request: FastifyRequest, options: SecapiOptions): string | null {
  if (tlsSocketOf(request) || options.allowInsecure) return null;
  const https = options.httpsBaseUrl();
  if (!https) return '/secapi接口需要商户API证书(双向TLS)，但网关未开启HTTPS端口(--tls-port)';
  const port = new URL(https).port || '443';
  return `/secapi接口需要商户API证书(双向TLS)，请通过HTTPS端口${port}访问: ${https}`;
}

/** The subject CN of the verified client certificate, or null on plain HTTP (insecure secapi). */
export function clientCertificateMchid(request: FastifyRequest): string | null {
  const socket = tlsSocketOf(request);
  if (!socket) return null;
  const cn = socket.getPeerCertificate()?.subject?.CN as string | string[] | undefined;
  // Several CNs cannot name one merchant; an empty string never equals a mch_id.
  return typeof cn === 'string' ? cn : '';
}

/** Whether this request's transport proves the merchant `mchid` (true on plain HTTP: insecure secapi was allowed). */
export function certificateMatches(request: FastifyRequest, mchid: string): boolean {
  const cn = clientCertificateMchid(request);
  return cn === null || cn === mchid;
}
