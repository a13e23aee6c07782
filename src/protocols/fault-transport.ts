/**
 * The fault lab at the HTTP edge, shared by every dialect: the request's own fault (`Tradegate-Fault`, read only
 * once the caller has authenticated — the dialects build operation contexts after that), holds exempt from the
 * server's timeouts, and the connection closed without an answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FaultDefinitionError, faultFieldsOfText, parseFaultDefinition, type FaultSpec } from '../core/faults.ts';
import type { FaultRequest } from '../operations/context.ts';
import { plainHold } from '../operations/fault-plan.ts';

export const FAULT_HEADER = 'tradegate-fault';

/** The header's fault; a malformed one is ignored (the call runs as if it were absent) and logged. */
function headerFault(request: FastifyRequest): FaultSpec | null {
  const text = request.headers[FAULT_HEADER];
  if (typeof text !== 'string' || text.trim() === '') return null;
  try {
    return parseFaultDefinition(faultFieldsOfText(text), false);
  } catch (err) {
    if (!(err instanceof FaultDefinitionError)) throw err;
    request.log.warn({ field: err.field }, `Tradegate-Fault ignored: ${err.message}`);
    return null;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's view of the fault lab, made on first use (`faultRequestOf`); declared on the root instance
     * (server.ts). On the request, not in a WeakMap keyed by it: V8's young-generation collections keep an old
     * WeakMap's values alive whatever their keys (only full collections apply the weak rule), and this value's `hold`
     * refers to its request — every request's whole object graph survived young collections until it was promoted.
     * Under load the bytes promoted per young collection halved without it (~660 → ~330 KB) and its median pause
     * fell from 4.0 to 2.4 ms (bench/results/2026-12-05-notes.md, fourth session).
     */
    faultRequest: FaultRequest | null;
  }
}

/** The fault lab's view of an authenticated request (one per request, so its header fault fires once). */
export function faultRequestOf(request: FastifyRequest): FaultRequest {
  let found = request.faultRequest;
  if (!found) {
    found = {
      header: headerFault(request),
      async hold(ms) {
        // A hold is the point of the fault: no idle-socket timeout may cut it short.
        request.raw.socket?.setTimeout(0);
        await plainHold(ms);
      },
    };
    request.faultRequest = found;
  }
  return found;
}

/** A fault's "no answer": the connection closes without a response (the client sees a reset or an empty reply). */
export function dropConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket?.destroy();
  return reply;
}
