/** The latency floor of `npm run bench`: the sign-only server under the rows' load generator. */
import { CONNECTIONS, drive, type Load, PEER_NODE_FLAGS, SECONDS, startProcess, stopProcess } from './harness.ts';
import type { Prebuilt } from './requests.ts';

/**
 * The latency floor: `bench/sign-only-server.ts` (read, one async RSA sign, answer) under the rows' load generator
 * and connections. Its p99 ÷ mean is the spread the machine and Node give before any gateway work.
 */
export async function latencyFloor(quick: boolean): Promise<Load> {
  const server = await startProcess([...PEER_NODE_FLAGS, '--import', 'tsx', 'bench/sign-only-server.ts']);
  try {
    // Each pre-built request is used once, and the warm-up ends early once a quarter are used: 150,000 outlast 12 s
    // of a server that answers at most S a second (~8,000 on two cores).
    const request: Prebuilt = { method: 'GET', path: '/', headers: {} };
    return await drive(server.url, new Array(quick ? 2000 : 150_000).fill(request), CONNECTIONS, SECONDS);
  } finally {
    await stopProcess(server.child);
  }
}
