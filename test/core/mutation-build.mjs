/**
 * Stryker's build step (stryker.config.json): bundles each test/core/*.test.ts with the instrumented src/core into
 * .mutate-build/*.test.mjs, once per run, so each mutant's test process is plain node (a third of the CPU of
 * `node --import tsx`). esbuild is the compiler tsx itself runs on.
 */
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

const entryPoints = readdirSync('test/core')
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/core/${f}`);
await build({
  entryPoints,
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outdir: '.mutate-build',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
});
