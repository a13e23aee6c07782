/** docs/cancellation-matrix.md is what the policy and the rules table produce today (`npm run docs` rewrites it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RULES } from '../../src/core/rules.ts';
import { duration, renderCancellationMatrix } from '../../scripts/cancellation-matrix.ts';

const committed = () => readFileSync(new URL('../../docs/cancellation-matrix.md', import.meta.url), 'utf8');

test('the committed cancellation matrix is the generated one (run `npm run docs` after changing policy or rules)', () => {
  assert.equal(committed(), renderCancellationMatrix());
});

test("the matrix follows the rules table: its windows are the rules' boundaries", () => {
  const doc = renderCancellationMatrix();
  assert.ok(doc.includes(`| younger than ${duration(RULES.wechatV3.closeMinAge)} | ${duration(RULES.wechatV3.closeMinAge)} or older |`));
  assert.ok(doc.includes(`| ${duration(RULES.wechatV2.reverseMinAge)} to ${duration(RULES.wechatV2.reverseMaxAge)} |`));
  assert.ok(doc.includes(`| ${duration(RULES.paycloud.voidMinAge)} to ${duration(RULES.paycloud.voidMaxAge)} |`));
  // The one dialect difference of close lives in the rules (closeOfClosed), and shows.
  assert.match(doc, /\| CLOSED \| pre-order \| APIv3 Mainland: success, unchanged<br>APIv3 Global\/HK, APIv2: refused: ORDER_CLOSED \|/);
  assert.match(doc, /\| SUCCESS \| code payment \| refused: TOO_EARLY \| → REVOKED \+ full refund \| refused: WINDOW_EXPIRED \|/);
});

test('durations are written in their largest exact unit', () => {
  assert.deepEqual(
    [duration(15_000), duration(300_000), duration(7 * 86_400_000), duration(1500), duration(90_000)],
    ['15 s', '5 min', '7 d', '1500 ms', '90 s'],
  );
});
