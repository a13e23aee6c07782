/**
 * A TCP proxy in front of the PostgreSQL server that counts round trips as the server sees them. Both directions
 * are read as PostgreSQL protocol messages: a round trip starts when the client sends a message while all of
 * its earlier requests are answered (every Sync and simple Query has had its ReadyForQuery). Statements a
 * driver pipelines count once; a statement sent after waiting for an answer counts again. Run it in the
 * process of the gateway it measures: what the gateway writes in one turn of its event loop is in the kernel
 * before the proxy reads, so nothing is counted twice by accident of timing. It also counts statements executed
 * (each Execute or simple Query message), BEGIN and COMMIT included.
 */
import { createServer, connect, type Socket } from 'node:net';

/** Splits a byte stream into messages: `type` (a char), or null for the untyped startup message. */
function messages(untypedFirst: boolean, onMessage: (type: string | null) => void) {
  let buffered = Buffer.alloc(0);
  let untyped = untypedFirst;
  return (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const header = untyped ? 4 : 5;
      if (buffered.length < header) return;
      const length = buffered.readUInt32BE(untyped ? 0 : 1) + (untyped ? 0 : 1);
      if (buffered.length < length) return;
      onMessage(untyped ? null : String.fromCharCode(buffered[0]!));
      buffered = buffered.subarray(length);
      untyped = false;
    }
  };
}

export interface RoundTripCounter {
  /** postgres:// URL of the proxy (the target's user, database and parameters). */
  readonly url: string;
  /** Round trips on every connection since the last reset. */
  count(): number;
  /** Statements executed on every connection since the last reset. */
  statements(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRoundTripCounter(targetUrl: string): Promise<RoundTripCounter> {
  const target = new URL(targetUrl);
  let roundTrips = 0;
  let statements = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let ready = false; // after the server's first ReadyForQuery: startup and authentication are not counted
    let unanswered = 0;
    let inFlight = false; // the client has sent since the server last had answered everything
    const fromClient = messages(true, (type) => {
      if (!ready || type === null || type === 'X') return;
      if (!inFlight) roundTrips++;
      inFlight = true;
      if (type === 'S' || type === 'Q') unanswered++;
      if (type === 'E' || type === 'Q') statements++;
    });
    const fromServer = messages(false, (type) => {
      if (type !== 'Z') return;
      if (ready && --unanswered === 0) inFlight = false;
      ready = true;
    });
    client.on('data', (d) => {
      fromClient(d);
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      fromServer(d);
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(targetUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    count: () => roundTrips,
    statements: () => statements,
    reset: () => {
      roundTrips = 0;
      statements = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
