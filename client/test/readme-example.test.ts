/**
 * The README's five-line usage example, verbatim: extracted from README.md, run by Node in a directory holding
 * `.tradegate/merchants/<mchid>.json` (1900000001 here), importing the built `@tradegate/client` through the npm workspace.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureBuilt } from './support/build.ts';
import { sandboxView, startWorld, type World } from './support/world.ts';

const CLIENT = join(import.meta.dirname, '..');
const README = join(CLIENT, '../README.md');

let world: World;
before(async () => {
  ensureBuilt();
  world = await startWorld();
});
after(async () => {
  await world.close();
});

test('the README example pays POS-0100 and prints paid', async () => {
  const block = /<!-- client-example:start -->\n```js\n([\s\S]*?)```\n<!-- client-example:end -->/.exec(readFileSync(README, 'utf8'));
  assert.ok(block, 'README has the client example');
  const code = block[1]!.replaceAll('<mchid>', '1900000001'); // the README's own placeholder, as its readers substitute it
  assert.equal(code.trim().split('\n').length, 5, 'five lines');
  const res = await world.gw.admin('POST', '/sandbox/merchants', { mchid: '1900000001' });
  assert.equal(res.status, 201);
  // Inside the repository so that `@tradegate/client` resolves through the workspace link, as after `npm install`.
  const dir = mkdtempSync(join(CLIENT, '.example-'));
  try {
    mkdirSync(join(dir, '.tradegate/merchants'), { recursive: true });
    writeFileSync(join(dir, '.tradegate/merchants/1900000001.json'), JSON.stringify(res.body));
    writeFileSync(join(dir, 'example.mjs'), code);
    // Asynchronously: the gateway answering it runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(stdout, 'paid\n');
    assert.equal((await sandboxView(world.gw, '1900000001', 'POS-0100')).state, 'SUCCESS');
    assert.match(readFileSync(join(dir, 'pos.journal'), 'utf8'), /"type":"done"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
