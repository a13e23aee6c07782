/** The rule table: one set per dialect family, where they differ, and overrides on top. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveRules, businessNow, merchantRuleOverrides, DEFAULT_SETTINGS } from '../../src/core/merchant.ts';
import { RULES, rulesFor, WECHAT_RULES } from '../../src/core/rules.ts';

const SECOND = 1000;
const DAY = 86_400 * SECOND;

test('the WeChat rules, as the specs state them', () => {
  assert.deepEqual(WECHAT_RULES, {
    closeMinAge: 300 * SECOND,
    closeOfClosed: 'refuse',
    reverseMinAge: 15 * SECOND,
    reverseMaxAge: 7 * DAY,
    voidMinAge: 15 * SECOND,
    voidMaxAge: DAY,
    userPayingTimeout: 30 * SECOND,
    defaultOrderLifetime: 7 * DAY,
    maxOrderLifetime: 7 * DAY,
    refundWindow: 365 * DAY,
    maxRefunds: 50,
    refundSettleDelay: SECOND,
    strictTiming: true,
  });
});

test('dialects differ only where the table says', () => {
  assert.equal(RULES.wechatV3.closeOfClosed, 'succeed');
  assert.deepEqual({ ...RULES.wechatV3, closeOfClosed: 'refuse' }, WECHAT_RULES);
  assert.equal(RULES.wechatV2, WECHAT_RULES);
  assert.equal(RULES.wechatGlobal, WECHAT_RULES);
  assert.deepEqual(
    [RULES.paycloud.maxRefunds, RULES.paycloud.defaultOrderLifetime, RULES.paycloud.maxOrderLifetime, RULES.paycloud.closeOfClosed],
    [10, 3600 * SECOND, 30 * DAY, 'refuse'],
  );
});

test('overrides apply on top of a rule set, and a merchant’s come from its settings', () => {
  assert.deepEqual(rulesFor('paycloud'), RULES.paycloud);
  assert.equal(rulesFor('paycloud', { maxRefunds: 3 }).maxRefunds, 3);
  assert.equal(rulesFor('paycloud', { maxRefunds: 3 }).refundWindow, 365 * DAY);
  const lax = { settings: { ...DEFAULT_SETTINGS, strictTiming: false } };
  assert.deepEqual(merchantRuleOverrides(lax), { strictTiming: false });
  assert.equal(resolveRules('wechatV2', lax).strictTiming, false);
  assert.equal(resolveRules('wechatV2', { settings: DEFAULT_SETTINGS }).strictTiming, true);
  assert.equal(resolveRules('wechatV3', lax).closeOfClosed, 'succeed');
});

test('a merchant’s business time runs its sandbox offset ahead of the wall clock', () => {
  assert.equal(businessNow({ clockOffsetMs: 5000 }, 1000), 6000);
  assert.deepEqual(DEFAULT_SETTINGS, {
    strictTiming: true,
    lenientEmptyBodySignature: false,
    platformMode: 'certificate',
    currency: 'CNY',
    exchangeRate: 100_000_000,
  });
});
