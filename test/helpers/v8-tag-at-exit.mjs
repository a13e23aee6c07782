// Preloaded into a gateway process by test/cli/start-tuning.test.ts: V8's flag hash, printed as the process exits.
import { cachedDataVersionTag } from 'node:v8';

process.on('exit', () => process.stderr.write(`v8 flags tag ${cachedDataVersionTag()}\n`));
