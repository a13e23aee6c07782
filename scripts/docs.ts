/**
 * `npm run docs`: writes the generated documents into docs/ — the cancellation matrix, and the table of every full
 * bench run in docs/performance.md (which each full `npm run bench` also rewrites).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderRunHistory, storedRuns, withRunHistory } from '../bench/history.ts';
import { renderCancellationMatrix } from './cancellation-matrix.ts';

const matrix = new URL('../docs/cancellation-matrix.md', import.meta.url);
writeFileSync(matrix, renderCancellationMatrix());
process.stdout.write(`wrote ${matrix.pathname}\n`);

const performance = new URL('../docs/performance.md', import.meta.url);
const runs = storedRuns(fileURLToPath(new URL('../bench/results', import.meta.url)));
writeFileSync(performance, withRunHistory(readFileSync(performance, 'utf8'), renderRunHistory(runs)));
process.stdout.write(`wrote ${performance.pathname} (${runs.length} runs)\n`);
