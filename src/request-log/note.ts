/**
 * What a dialect plugin tells the request log about a request it handled: who called, which operation, which
 * error code it answered and, for a refused authentication, why. Plugins fill it in cheaply on the request path;
 * everything else (order numbers, truncation, SQL) happens in the batched writer, off the request path.
 */
import type { FastifyRequest } from 'fastify';

/** Why authentication was refused, concretely enough to fix the client. Never holds a secret. */
export interface AuthDiagnostics {
  /** e.g. "timestamp 412 s old (window ±300 s)", "signature does not verify". */
  readonly reason: string;
  /** The exact string the gateway expected to be signed (an APIv2 key is masked as `key=…`). */
  readonly expected_signing_string?: string;
  /** Which key or certificate serial the gateway verified with. */
  readonly key?: string;
  readonly sign_type?: string;
  /** The first characters of the signature received (a refused signature proves nothing; still never whole). */
  readonly received_signature_prefix?: string;
  /** For an unknown serial: the serials that would have been accepted. */
  readonly valid_serials?: readonly string[];
}

export interface RequestNote {
  mchid?: string;
  operation?: string;
  errorCode?: string;
  message?: string;
  diagnostics?: AuthDiagnostics;
}

declare module 'fastify' {
  interface FastifyRequest {
    requestLogNote: RequestNote | null;
  }
}

/** Merges facts into the request's note (created on first use: one small object per request). */
export function noteRequest(request: FastifyRequest, facts: RequestNote): void {
  if (request.requestLogNote) Object.assign(request.requestLogNote, facts);
  else request.requestLogNote = facts;
}

/** A signature shown in a refusal's diagnostics: enough to recognise it, never the whole value. */
export function signaturePrefix(signature: string): string {
  return signature.length > 12 ? `${signature.slice(0, 12)}…` : signature;
}
