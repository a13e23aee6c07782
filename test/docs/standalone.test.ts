/** The docs stand alone: no reference to files outside the repository, and every relative link resolves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

const files = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];

test('README and docs/ cite nothing outside the repository', () => {
  assert.ok(files.some((f) => f.endsWith('cancellation-matrix.md')) && files.some((f) => f.includes('protocols')));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /shared\/|\/work\//, `${relative(ROOT, file)} refers to files outside the repository`);
  }
});

test('every relative link of README and docs/ points at a file of the repository', () => {
  for (const file of files) {
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      assert.ok(existsSync(join(dirname(file), target)), `${relative(ROOT, file)} links to ${target}, which does not exist`);
    }
  }
});

test('each dialect has its protocol reference: endpoints, error codes, time rules', () => {
  for (const name of ['wechatpay-v3', 'wechatpay-v2', 'paycloud']) {
    const text = readFileSync(join(ROOT, 'docs', 'protocols', `${name}.md`), 'utf8');
    for (const heading of [/^## .*[Ee]ndpoints|^## Methods/m, /^## Errors|^## Answers|^## Two layers/m, /^## (Time rules|Rules)/m]) {
      assert.match(text, heading, `${name}.md`);
    }
  }
});
