/**
 * One HTTP(S) exchange with a hard deadline. node:http/https rather than fetch: APIv2 `/secapi/*` needs a client
 * certificate (mutual TLS), which fetch cannot present without an extra dependency, and a dropped connection must
 * be told apart from an answer.
 */
import http from 'node:http';
import https from 'node:https';

export interface TlsIdentity {
  readonly cert?: string;
  readonly key?: string;
  readonly pfx?: Buffer;
  readonly passphrase?: string;
  readonly ca?: string;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly tls?: TlsIdentity;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

/** No answer: timed out, refused, reset, or closed before a full response. The outcome at the gateway is unknown. */
export class TransportError extends Error {
  constructor(
    readonly reason: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export function send(req: HttpRequest): Promise<HttpAnswer> {
  const target = new URL(req.url);
  const lib = target.protocol === 'https:' ? https : http;
  const bytes = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (reason: 'timeout' | 'network', message: string) => {
      if (settled) return;
      settled = true;
      reject(new TransportError(reason, message));
    };
    const request = lib.request(
      target,
      {
        method: req.method,
        headers: { ...req.headers, ...(bytes ? { 'content-length': String(bytes.length) } : {}) },
        // A fresh connection per call: a pooled socket the gateway already closed would look like a dropped answer.
        agent: false,
        ...(target.protocol === 'https:' ? { ...req.tls } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', (e) => fail('network', e.message));
        res.on('aborted', () => fail('network', 'response aborted'));
        res.on('end', () => {
          if (settled) return;
          if (!res.complete) return fail('network', 'response incomplete');
          settled = true;
          clearTimeout(timer);
          const headers: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    const timer = setTimeout(() => {
      fail('timeout', `no answer within ${req.timeoutMs} ms`);
      request.destroy();
    }, req.timeoutMs);
    request.on('error', (e) => {
      clearTimeout(timer);
      fail('network', e.message);
    });
    request.end(bytes);
  });
}
