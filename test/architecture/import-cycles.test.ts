/**
 * No set of files in src/ imports each other in a loop, type-only imports included (a type cycle still ties the
 * files' design together). The graph comes from dpdm, a maintained cycle finder that reads imports with the
 * TypeScript compiler, rather than from a home-made parser. The test proves it can fail: a cycle made on purpose
 * in a temporary directory is found.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCircular, parseDependencyTree } from 'dpdm';

const ROOT = join(import.meta.dirname, '../..');

async function cyclesIn(cwd: string, entries: string): Promise<string[][]> {
  const tree = await parseDependencyTree(entries, { cwd, context: cwd, transform: false, skipDynamicImports: false, extensions: ['.ts'] });
  assert.ok(Object.keys(tree).length > 1, 'the graph was read');
  return parseCircular(tree);
}

test('no import cycle in src/', { timeout: 120_000 }, async () => {
  const cycles = await cyclesIn(ROOT, 'src/**/*.ts');
  assert.deepEqual(
    cycles.map((c) => c.join(' -> ')),
    [],
  );
});

test('a cycle, type-only included, is found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-cycle-'));
  try {
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = { b?: B };\n");
    writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.ts';\nexport type B = { a?: A };\n");
    assert.deepEqual(
      (await cyclesIn(dir, '*.ts')).map((c) => c.map((f) => f.replace(/\\/g, '/')).sort()),
      [['a.ts', 'b.ts']],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
