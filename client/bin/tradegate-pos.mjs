#!/usr/bin/env node
// The published package runs the compiled CLI (npm run build → dist/).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`${e?.message ?? e}\n`);
    process.exitCode = 1;
  },
);
