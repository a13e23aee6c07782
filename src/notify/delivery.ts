/**
 * One HTTP attempt at a merchant's notify_url: THE single place where a notification leaves the gateway.
 *
 * Written on node:http(s) rather than fetch because fetch cannot check the address it connects to: here the
 * socket's `lookup` applies the address policy to the resolved address at connect time (address-policy.ts), and
 * an IP-literal URL is checked directly (Node does not call `lookup` for literals). Further:
 * - redirects are never followed: a 3xx is a failed attempt (a merchant must not steer the gateway elsewhere);
 * - the answer is streamed and reading stops after `MAX_ANSWER_BYTES` (acknowledgements are a few bytes);
 * - one deadline covers the whole attempt (lookup, connect, TLS, sending, the answer);
 * - a fresh connection per attempt (`agent: false`): no pooled socket outlives the policy check it passed.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.ts';

/** Enough for every dialect's acknowledgement (`success`, an APIv2 XML, a JSON code); the rest is never read. */
export const MAX_ANSWER_BYTES = 4096;

export interface AttemptOutcome {
  readonly statusCode: number | null;
  /** The answer's first bytes (up to MAX_ANSWER_BYTES), as text. */
  readonly response: string | null;
  readonly error: string | null;
}

export interface PostOptions {
  readonly policy: AddressPolicy;
  /** Deadline of the whole attempt. */
  readonly timeoutMs: number;
  /** Aborts the attempt (the gateway is stopping). */
  readonly signal?: AbortSignal;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export function postNotification(url: string, body: string, headers: Record<string, string>, o: PostOptions): Promise<AttemptOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ statusCode: null, response: null, error: `invalid notify_url: ${url}` });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.resolve({ statusCode: null, response: null, error: `notify_url scheme not allowed: ${target.protocol}` });
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refusal = o.policy.refusal(host, port);
    if (refusal) return Promise.resolve({ statusCode: null, response: null, error: `NotifyAddressRefused: notify_url refused: ${refusal}` });
  }
  const bytes = Buffer.from(body, 'utf8');
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      o.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(outcome);
    };
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(bytes.length) },
        agent: false,
        lookup: o.policy.lookupFor(port),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const response = Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
          const redirect = status >= 300 && status < 400;
          finish({ statusCode: status, response, error: redirect ? `redirect not followed (${res.headers.location ?? 'no location'})` : null });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_ANSWER_BYTES) done(); // stop reading: the connection is destroyed, nothing more is buffered
        });
        res.on('end', done);
        res.on('error', (err) => finish({ statusCode: status, response: null, error: errorText(err) }));
      },
    );
    // Listened to first: destroying a request that has no answer yet emits 'socket hang up', and finish() destroys
    // it on every path (an already aborted signal included), so an unheard error would end the process.
    req.on('error', (err) => finish({ statusCode: null, response: null, error: errorText(err) }));
    const deadline = setTimeout(
      () => finish({ statusCode: null, response: null, error: `TimeoutError: no complete answer within ${o.timeoutMs} ms` }),
      o.timeoutMs,
    );
    const onAbort = () => finish({ statusCode: null, response: null, error: 'AbortError: the gateway is stopping' });
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(bytes);
  });
}
