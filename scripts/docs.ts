/** `npm run docs`: writes the generated documents (today the cancellation matrix) into docs/. */
import { writeFileSync } from 'node:fs';
import { renderCancellationMatrix } from './cancellation-matrix.ts';

const target = new URL('../docs/cancellation-matrix.md', import.meta.url);
writeFileSync(target, renderCancellationMatrix());
process.stdout.write(`wrote ${target.pathname}\n`);
