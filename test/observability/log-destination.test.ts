/**
 * The JSON log destination waits for a slow reader with a bounded buffer: lines beyond it are dropped, so a stdout
 * pipe nobody drains cannot grow the gateway's memory without end. The reader here is a FIFO opened and never read.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bufferedStdout } from '../../src/observability/log-destination.ts';

test('a reader that does not read: lines beyond the bound are dropped', { skip: process.platform === 'win32' && 'needs mkfifo' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-log-'));
  const fifo = join(dir, 'stdout');
  execFileSync('mkfifo', [fifo]);
  // Opened for reading (without blocking) and never read: the pipe fills at its 64 KB, then the lines wait in the buffer.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const destination = bufferedStdout(fifo, 256 * 1024);
  const boom = destination.stream as unknown as NodeJS.EventEmitter & { write(s: string): boolean };
  try {
    await new Promise((resolve) => boom.once('ready', resolve));
    let dropped = 0;
    boom.on('drop', () => dropped++);
    const line = `${JSON.stringify({ level: 30, msg: 'x'.repeat(1000) })}\n`;
    for (let i = 0; i < 1024; i++) boom.write(line); // ~1 MB offered; 256 KB (those being written included) held
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(dropped >= 1024 - 260 && dropped <= 1024 - 200, `${dropped} of 1024 lines dropped`);
  } finally {
    closeSync(reader); // the pending write fails (EPIPE) and pino's destination stops: close() has nothing to wait for
    await new Promise((resolve) => setTimeout(resolve, 50));
    destination.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
