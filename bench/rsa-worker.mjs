// A worker thread that signs messages with SHA256withRSA: the benchmark's pre-signing.
import { createPrivateKey, sign } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ keyPem, messages }) => {
  const key = createPrivateKey(keyPem);
  parentPort.postMessage(messages.map((m) => sign('sha256', Buffer.from(m), key).toString('base64')));
});
