/**
 * The durable journal: one append-only file of JSON lines, each record written and fsync'd before the request it
 * announces is sent.
 *
 * Why a file and not an embedded database: it needs no dependency (node:sqlite does not exist on Node 20), and
 * append + fsync is crash-safe by construction — a record is either whole, and then acted on, or a torn last line
 * that is cut off at the next open; a torn record announced a request that was never sent, because the request
 * goes out only after the fsync returns. The file is small (a few records per sale) and read once at start.
 * One journal belongs to one POS process at a time: `open` takes an exclusive lock file (stale locks of dead
 * processes are taken over).
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export type JournalRecord = { readonly seq: string; readonly type: string; readonly at: number } & Readonly<Record<string, unknown>>;

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the file's own fsync still holds its records.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Journal {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly records: JournalRecord[],
  ) {}

  /** Opens (creating) the journal, cuts a torn last line, and reads every whole record. */
  static open(path: string): Journal {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    takeLock(`${path}.lock`);
    const created = !existsSync(path);
    const fd = openSync(path, 'a+', 0o600);
    if (created) fsyncDir(dirname(path));
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    if (size > 0) readSync(fd, buf, 0, size, 0);
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < size) {
      // A crash in the middle of a write: that record was never acted on.
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
      fsyncSync(fd);
    }
    const records: JournalRecord[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        // A line that is not JSON cannot come from this writer; skip it rather than refuse to recover the rest.
      }
    }
    return new Journal(path, fd, records);
  }

  /** Appends one record and returns only once it is on disk. */
  append(record: JournalRecord): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off);
    fsyncSync(this.fd);
    this.records.push(record);
  }

  all(): readonly JournalRecord[] {
    return this.records;
  }

  /** The records of each sequence, in order. */
  bySequence(): Map<string, JournalRecord[]> {
    const m = new Map<string, JournalRecord[]>();
    for (const r of this.records) {
      const list = m.get(r.seq) ?? [];
      list.push(r);
      m.set(r.seq, list);
    }
    return m;
  }

  close(): void {
    closeSync(this.fd);
    try {
      unlinkSync(`${this.path}.lock`);
    } catch {
      /* already gone */
    }
  }
}

function takeLock(lock: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(`journal ${lock.slice(0, -5)} is in use by process ${holder}`);
      }
      unlinkSync(lock);
    }
  }
  throw new Error(`cannot lock ${lock}`);
}
