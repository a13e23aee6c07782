/** A merchant's notify_url: records every request and answers with a scripted status sequence. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface ReceiverOptions {
  /** Answer each request this long after it arrived (a slow merchant: deliveries stay in flight). */
  readonly delayMs?: number;
}

export async function startReceiver(answers: (n: number) => { status: number; body: string }, options: ReceiverOptions = {}) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const answer = answers(received.length);
      const send = () => res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
      if (options.delayMs) setTimeout(send, options.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
