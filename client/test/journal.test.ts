/** The journal: records survive a reopen, a torn last line is cut, one process at a time. */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { Journal } from '../src/journal.ts';
import { tempJournal } from './support/world.ts';

test('records survive a reopen; a torn last record is cut off and the next append starts on a clean line', () => {
  const path = tempJournal();
  const j = Journal.open(path);
  j.append({ seq: 'a', type: 'begin', at: 1 });
  j.append({ seq: 'a', type: 'send', at: 2, op: 'pay' });
  j.close();
  appendFileSync(path, '{"seq":"a","type":"ans'); // the crash hit mid-write
  const k = Journal.open(path);
  assert.deepEqual(
    k.all().map((r) => r.type),
    ['begin', 'send'],
  );
  k.append({ seq: 'a', type: 'done', at: 3 });
  k.close();
  assert.deepEqual(
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type),
    ['begin', 'send', 'done'],
  );
  assert.equal(Journal.open(path).bySequence().get('a')?.length, 3);
});

test('a journal held by a live process is refused; the lock of a dead one is taken over', () => {
  const path = tempJournal();
  writeFileSync(`${path}.lock`, String(process.ppid)); // a live process that is not us
  assert.throws(() => Journal.open(path), /in use by process/);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(`${path}.lock`, dead);
  const j = Journal.open(path);
  assert.equal(readFileSync(`${path}.lock`, 'utf8'), String(process.pid));
  j.close();
});
