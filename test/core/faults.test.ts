/** Fault definitions: defaults, the header text, matching by operation / dialect / out_trade_no, oldest first. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultDefinitionError, faultFieldsOfText, parseFaultDefinition, pickFault, type StoredFault } from '../../src/core/faults.ts';

const stored = (id: string, fields: Record<string, unknown>, fired = 0): StoredFault => ({
  ...parseFaultDefinition(fields),
  id,
  mchid: 'm',
  fired,
  createdAt: 0,
});

test('the header text is a definition without an operation', () => {
  const spec = parseFaultDefinition(faultFieldsOfText(' effect=timeout ;commit=before; delay_ms=250 '), false);
  assert.deepEqual(spec, { operation: '*', dialect: null, outTradeNo: null, effect: 'timeout', commit: 'before', delayMs: 250, times: 1 });
  assert.throws(
    () => parseFaultDefinition(faultFieldsOfText('effect=delay; commit=after'), false),
    (e) => e instanceof FaultDefinitionError && e.field === 'commit',
  );
  assert.throws(() => faultFieldsOfText('effect'), FaultDefinitionError);
  assert.throws(
    () => parseFaultDefinition(faultFieldsOfText('effect=timeout; delay_ms=soon'), false),
    (e) => e instanceof FaultDefinitionError && e.field === 'delay_ms',
  );
});

test('matching: operation, dialect, out_trade_no; spent definitions skipped; the oldest fires', () => {
  const plan = [
    stored('1', { operation: 'reverse', effect: 'system_error' }, 1),
    stored('2', { operation: 'reverse', effect: 'drop', dialect: 'paycloud' }),
    stored('3', { operation: 'reverse', effect: 'delay', out_trade_no: 'A' }),
    stored('4', { operation: '*', effect: 'system_error' }),
    stored('5', { operation: 'notify', effect: 'duplicate' }),
  ];
  assert.equal(pickFault(plan, { operation: 'reverse', dialect: 'wechatpay-v3', outTradeNo: 'A' })?.id, '3');
  assert.equal(pickFault(plan, { operation: 'reverse', dialect: 'paycloud', outTradeNo: 'A' })?.id, '2');
  assert.equal(pickFault(plan, { operation: 'close', dialect: 'wechatpay-v2', outTradeNo: 'B' })?.id, '4');
  assert.equal(pickFault(plan, { operation: 'notify', dialect: 'wechatpay-v2', outTradeNo: 'B' })?.id, '5', '* never gives notify an API effect');
  assert.equal(pickFault(plan.slice(0, 3), { operation: 'reverse', dialect: 'wechatpay-v3', outTradeNo: 'B' }), null);
});
