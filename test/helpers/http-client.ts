/** A small keep-alive HTTP client for load tests: exact bytes out, status/headers/text back, errors as values. */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

export interface HttpRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
}

/** TLS material for `https:` URLs: the CA to trust and, for mutual TLS, the client certificate. */
export interface TlsIdentity {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly httpsAgent: https.Agent | null;

  constructor(maxSockets = 64, tls?: TlsIdentity) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = tls ? new https.Agent({ keepAlive: true, maxSockets, ...tls }) : null;
  }

  /** Resolves with the answer; rejects only on transport failures (refused, reset, timeout). */
  send(r: HttpRequest): Promise<HttpAnswer> {
    const bytes = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : r.body;
    return new Promise((resolve, reject) => {
      const secure = r.url.startsWith('https:');
      if (secure && !this.httpsAgent) return reject(new Error('https URL without TLS identity'));
      const req = (secure ? https : http).request(
        r.url,
        {
          method: r.method,
          agent: secure ? this.httpsAgent! : this.agent,
          headers: { ...(bytes ? { 'content-length': String(bytes.length) } : {}), ...r.headers },
          timeout: r.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(bytes);
    });
  }

  close(): void {
    this.agent.destroy();
    this.httpsAgent?.destroy();
  }
}

/** Runs `task(i)` for i in [0, n) with at most `limit` in flight; collects nothing (tasks record their own results). */
export async function runBounded(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** Counts of a list of labels, sorted by label. */
export function histogram(labels: Iterable<string>): Record<string, number> {
  const h: Record<string, number> = {};
  for (const l of labels) h[l] = (h[l] ?? 0) + 1;
  return Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
