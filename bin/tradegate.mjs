#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build`; `npm ci` and `npm pack` build it through `prepare`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('tradegate: dist/ is missing: run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await import(cli.href);
