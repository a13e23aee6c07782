/**
 * `npm run docs`: writes the generated documents into docs/ — the cancellation matrix, and the table of every full
 * bench run in docs/performance.md (which each full `npm run bench` also rewrites).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeRunHistory } from '../bench/history.ts';
import { renderCancellationMatrix } from './cancellation-matrix.ts';

const matrix = new URL('../docs/cancellation-matrix.md', import.meta.url);
writeFileSync(matrix, renderCancellationMatrix());
process.stdout.write(`wrote ${matrix.pathname}\n`);

const runs = writeRunHistory(fileURLToPath(new URL('..', import.meta.url)));
process.stdout.write(`wrote docs/performance.md's table of every bench run (${runs} runs)\n`);
