// A worker thread that signs messages with SHA256withRSA: the benchmark's pre-signing and its ceiling S.
import { createPrivateKey, sign } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ kind, keyPem, messages, seconds }) => {
  const key = createPrivateKey(keyPem);
  if (kind === 'sign') {
    parentPort.postMessage(messages.map((m) => sign('sha256', Buffer.from(m), key).toString('base64')));
  } else {
    // Ceiling: signatures per second on this core for `seconds`.
    const end = Date.now() + seconds * 1000;
    let n = 0;
    while (Date.now() < end) {
      sign('sha256', Buffer.from(`message ${n}`), key);
      n++;
    }
    parentPort.postMessage(n / seconds);
  }
});
