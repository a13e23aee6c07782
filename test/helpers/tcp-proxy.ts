/**
 * A TCP proxy in front of the private PostgreSQL server: `stall()` makes it stop forwarding in both directions
 * (connections stay open, bytes are held, new connections are accepted and not forwarded) — a network that
 * silently drops traffic, which neither side notices by itself; `flow()` lets everything through again. Written
 * here because the point is exactly this one misbehaviour, a few lines over node:net.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  stall(): void;
  flow(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  /** Bytes held while stalled, with the socket they are for, in arrival order. */
  let held: [Socket, Buffer][] | null = null;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (held) held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stall() {
      held ??= [];
    },
    flow() {
      const bytes = held ?? [];
      held = null;
      for (const [to, chunk] of bytes) if (!to.destroyed) to.write(chunk);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
