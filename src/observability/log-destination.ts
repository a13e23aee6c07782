/**
 * Where the JSON logs go: stdout, in writes of at least 4 KB or every 250 ms, instead of one write per line. At
 * `--log-level info` every request logs a line, and a write per line (a system call, and on a pipe a wake-up of
 * the reader) cost the gateway ~10 % of an APIv3 reverse's CPU (bench/results/2026-12-01-notes.md). pino's own
 * buffered destination does it (SonicBoom, asynchronous); what is buffered is written synchronously when the
 * process exits, and within 250 ms otherwise, so a quiet gateway's lines still show at once.
 */
import pino from 'pino';

const FLUSH_EVERY_MS = 250;
/**
 * Bytes of lines waiting for a slow reader, at most; beyond, new lines are dropped. Unbounded, a reader that stalls
 * (a pipe nobody drains) would grow the gateway's memory by every request's line. (A reader that is gone, EPIPE,
 * is pino's own case: its destination stops writing.)
 */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface LogDestination {
  readonly stream: pino.DestinationStream;
  /** Writes what is buffered and stops the timer (stdout itself stays open). */
  close(): void;
}

/** `dest` and `maxBytes` are for tests (a pipe nobody reads, a small bound); the gateway logs to stdout. */
export function bufferedStdout(dest: number | string = 1, maxBytes = MAX_BUFFERED_BYTES): LogDestination {
  const stream = pino.destination({ dest, minLength: 4096, sync: false, maxLength: maxBytes });
  const timer = setInterval(() => stream.flush(), FLUSH_EVERY_MS);
  timer.unref();
  return {
    stream,
    close() {
      clearInterval(timer);
      try {
        stream.flushSync();
      } catch {
        stream.flush(); // not open yet, or a write in progress: it finishes on its own
      }
    },
  };
}
