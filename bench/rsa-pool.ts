/** RSA signing on every core (worker threads): pre-signing the load. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

function run<T>(payloads: unknown[]): Promise<T[]> {
  return Promise.all(
    payloads.map(
      (payload) =>
        new Promise<T>((resolve, reject) => {
          const worker = new Worker(new URL('./rsa-worker.mjs', import.meta.url));
          worker.once('message', (result: T) => {
            void worker.terminate();
            resolve(result);
          });
          worker.once('error', reject);
          worker.postMessage(payload);
        }),
    ),
  );
}

/** Signs every message (base64 SHA256withRSA), spread over all cores, order kept. */
export async function signAll(keyPem: string, messages: string[]): Promise<string[]> {
  const cores = availableParallelism();
  const size = Math.ceil(messages.length / cores);
  const chunks = Array.from({ length: cores }, (_, i) => messages.slice(i * size, (i + 1) * size));
  return (await run<string[]>(chunks.map((m) => ({ keyPem, messages: m })))).flat();
}
