/**
 * The package as npm publishes it: not private, compiled JavaScript only (dist/ and the bin), no development tool
 * among the runtime dependencies, engines that admit Node 20 and the current LTS. (.ci/run packs it, installs the
 * tarball into an empty folder and starts it with `npx tradegate start`.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;

test('package.json describes a publishable package that runs compiled JavaScript', () => {
  assert.equal(pkg.private, undefined);
  assert.deepEqual(pkg.bin, { tradegate: 'bin/tradegate.mjs' });
  assert.ok(pkg.files.includes('bin/') && pkg.files.includes('dist/**/*.js'), 'bin and dist are shipped');
  assert.equal(pkg.scripts.prepare, 'npm run build', 'npm ci and npm pack compile dist/');
  assert.match(pkg.scripts.start, /^node bin\/tradegate\.mjs start$/);
  for (const tool of ['tsx', 'esbuild', 'typescript']) assert.equal(pkg.dependencies[tool], undefined, `${tool} is a dev dependency`);
  assert.ok(pkg.devDependencies.tsx);
  const bin = readFileSync(join(ROOT, 'bin/tradegate.mjs'), 'utf8');
  assert.match(bin, /dist\/cli\.js/);
  assert.doesNotMatch(bin, /tsx/);
});

test('engines admit Node 20 (20.11+) and 24', () => {
  const m = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
  assert.ok(m, `engines.node is a lower bound: ${pkg.engines.node}`);
  const admits = (major: number, minor: number) => major > Number(m[1]) || (major === Number(m[1]) && minor >= Number(m[2]));
  assert.ok(admits(20, 11) && admits(24, 0));
  assert.ok(!admits(18, 20));
});
