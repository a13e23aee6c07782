/** Fault definitions: defaults, refusals, the header text, matching by operation / dialect / out_trade_no, oldest first, commit per call. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_TIMEOUT_MS,
  effectiveCommit,
  type FaultCall,
  FaultDefinitionError,
  type FaultedOperation,
  faultFieldsOfText,
  faultMatches,
  MAX_FAULT_DELAY_MS,
  parseFaultDefinition,
  pickFault,
  type StoredFault,
} from '../../src/core/faults.ts';

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

/** parseFaultDefinition must refuse `input`, naming `field` with exactly `message` (what the API and dashboard show). */
function refused(input: Record<string, unknown>, field: string, message: string): void {
  assert.throws(
    () => parseFaultDefinition(input),
    (e: unknown) => e instanceof FaultDefinitionError && e.name === 'FaultDefinitionError' && e.field === field && e.message === message,
    `${JSON.stringify(input)} → ${field}: ${message}`,
  );
}

const call = (operation: FaultedOperation, dialect = 'wechatpay-v3', outTradeNo: string | null = 'A'): FaultCall => ({ operation, dialect, outTradeNo });

describe('fault definitions: defaults', () => {
  test('system_error, timeout and drop on an operation that writes commit after by default; delay does not commit', () => {
    for (const operation of ['create', 'pay', 'close', 'reverse', 'void', 'refund'] as const) {
      assert.equal(parseFaultDefinition({ operation, effect: 'system_error' }).commit, 'after', operation);
      assert.equal(parseFaultDefinition({ operation, effect: 'timeout' }).commit, 'after', operation);
      assert.equal(parseFaultDefinition({ operation, effect: 'drop' }).commit, 'after', operation);
      assert.equal(parseFaultDefinition({ operation, effect: 'delay' }).commit, null, operation);
    }
  });

  test('reads, notify and `*` store no commit by default', () => {
    for (const operation of ['query', 'refund_query'] as const) {
      for (const effect of ['system_error', 'timeout', 'drop', 'delay'])
        assert.equal(parseFaultDefinition({ operation, effect }).commit, null, `${operation} ${effect}`);
    }
    assert.equal(parseFaultDefinition({ operation: 'notify', effect: 'drop' }).commit, null);
    assert.equal(parseFaultDefinition({ operation: '*', effect: 'system_error' }).commit, null);
    assert.equal(parseFaultDefinition({ effect: 'timeout' }, false).commit, null, 'the header leaves commit to the call');
  });

  test('a stated commit stands on an operation that writes', () => {
    assert.equal(parseFaultDefinition({ operation: 'reverse', effect: 'system_error', commit: 'before' }).commit, 'before');
    assert.equal(parseFaultDefinition({ operation: 'refund', effect: 'drop', commit: 'after' }).commit, 'after');
    assert.equal(parseFaultDefinition({ operation: '*', effect: 'timeout', commit: 'before' }).commit, 'before');
    assert.equal(parseFaultDefinition({ operation: 'close', effect: 'system_error', commit: null }).commit, 'after', 'null is no commit: the default');
  });

  test('delay_ms: 30 000 for a timeout, else 0; times: 1', () => {
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'timeout' }).delayMs, DEFAULT_TIMEOUT_MS);
    assert.equal(DEFAULT_TIMEOUT_MS, 30_000);
    for (const effect of ['system_error', 'drop', 'delay']) assert.equal(parseFaultDefinition({ operation: 'pay', effect }).delayMs, 0, effect);
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'timeout', delay_ms: 0 }).delayMs, 0, 'a stated 0 stands');
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'system_error' }).times, 1);
  });

  test('a full definition is kept as given', () => {
    assert.deepEqual(parseFaultDefinition({ operation: 'refund', dialect: 'paycloud', out_trade_no: 'T-1', effect: 'delay', delay_ms: 1500, times: 3 }), {
      operation: 'refund',
      dialect: 'paycloud',
      outTradeNo: 'T-1',
      effect: 'delay',
      commit: null,
      delayMs: 1500,
      times: 3,
    });
    assert.deepEqual(
      parseFaultDefinition({ operation: 'notify', dialect: null, out_trade_no: null, effect: 'duplicate', commit: null }),
      { operation: 'notify', dialect: null, outTradeNo: null, effect: 'duplicate', commit: null, delayMs: 0, times: 1 },
      'null is the same as absent',
    );
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'delay' }, false).operation, 'pay', 'a named operation stands without operationRequired');
  });

  test('the edges of the ranges are accepted', () => {
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'delay', delay_ms: MAX_FAULT_DELAY_MS }).delayMs, 120_000);
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'delay', times: 1 }).times, 1);
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'delay', times: 1_000_000 }).times, 1_000_000);
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'drop', out_trade_no: 'x'.repeat(64) }).outTradeNo, 'x'.repeat(64));
    assert.equal(parseFaultDefinition({ operation: 'pay', effect: 'drop', out_trade_no: 'x' }).outTradeNo, 'x');
  });
});

describe('fault definitions: refusals name the field', () => {
  test('unknown fields and values', () => {
    refused({ operation: 'pay', effect: 'drop', when: 'now' }, 'when', 'unknown field when');
    refused({ effect: 'drop' }, 'operation', 'operation must be one of create, pay, query, close, reverse, void, refund, refund_query, notify, *');
    refused(
      { operation: 'settle', effect: 'drop' },
      'operation',
      'operation must be one of create, pay, query, close, reverse, void, refund, refund_query, notify, *',
    );
    refused(
      { operation: 'pay', effect: 'drop', dialect: 'alipay' },
      'dialect',
      'dialect must be one of wechatpay-v3, wechatpay-global, wechatpay-v2, paycloud',
    );
    refused({ operation: 'pay', effect: 'explode' }, 'effect', 'effect must be one of system_error, timeout, drop, delay, duplicate');
    refused({ operation: 'pay' }, 'effect', 'effect must be one of system_error, timeout, drop, delay, duplicate');
    refused({ operation: 'pay', effect: 'drop', commit: 'later' }, 'commit', 'commit must be one of before, after');
    refused({ operation: 'pay', effect: 5 }, 'effect', 'effect must be one of system_error, timeout, drop, delay, duplicate');
  });

  test('out_trade_no: a string of 1 to 64 characters without NUL', () => {
    const message = 'out_trade_no must be a string of 1 to 64 characters';
    for (const out_trade_no of ['', 'x'.repeat(65), 'a\u0000b', 12345]) refused({ operation: 'pay', effect: 'drop', out_trade_no }, 'out_trade_no', message);
  });

  test('effects that do not apply to the operation', () => {
    for (const effect of ['system_error', 'timeout']) {
      refused({ operation: 'notify', effect }, 'effect', `effect ${effect} does not apply to notify (drop, duplicate or delay)`);
    }
    refused({ operation: 'reverse', effect: 'duplicate' }, 'effect', 'effect duplicate applies to notify only');
    for (const effect of ['drop', 'duplicate', 'delay']) assert.equal(parseFaultDefinition({ operation: 'notify', effect }).effect, effect);
    for (const effect of ['system_error', 'timeout', 'drop', 'delay', 'duplicate'])
      assert.equal(parseFaultDefinition({ operation: '*', effect }).effect, effect, `* ${effect}`);
  });

  test('commit where it means nothing: with delay or duplicate, on reads, on notify', () => {
    refused({ operation: 'reverse', effect: 'delay', commit: 'after' }, 'commit', 'commit does not apply to delay');
    refused({ operation: '*', effect: 'duplicate', commit: 'before' }, 'commit', 'commit does not apply to duplicate');
    refused({ operation: 'query', effect: 'system_error', commit: 'after' }, 'commit', 'commit does not apply to query (it writes nothing)');
    refused({ operation: 'refund_query', effect: 'timeout', commit: 'before' }, 'commit', 'commit does not apply to refund_query (it writes nothing)');
    refused({ operation: 'notify', effect: 'drop', commit: 'after' }, 'commit', 'commit does not apply to notify');
  });

  test('delay_ms from 0 to 120 000 and times from 1 to 1 000 000, integers', () => {
    const delay = 'delay_ms must be an integer from 0 to 120000';
    for (const delay_ms of [-1, MAX_FAULT_DELAY_MS + 1, 1.5, '100', null, Number.NaN])
      refused({ operation: 'pay', effect: 'delay', delay_ms }, 'delay_ms', delay);
    const times = 'times must be an integer from 1 to 1000000';
    for (const t of [0, 1_000_001, 2.5, '2']) refused({ operation: 'pay', effect: 'delay', times: t }, 'times', times);
  });
});

describe('the header text', () => {
  test('name=value pairs; spaces, empty parts and the case of names do not matter', () => {
    assert.deepEqual(faultFieldsOfText('effect = drop ;; Commit=before;  '), { effect: 'drop', commit: 'before' });
    assert.deepEqual(faultFieldsOfText('effect=delay;'), { effect: 'delay' });
    assert.deepEqual(faultFieldsOfText(''), {});
  });

  test('delay_ms and times are numbers when they are digits; other fields stay text', () => {
    assert.deepEqual(faultFieldsOfText('effect=delay; delay_ms=1500; times=3'), { effect: 'delay', delay_ms: 1500, times: 3 });
    assert.deepEqual(faultFieldsOfText('out_trade_no=12345'), { out_trade_no: '12345' });
    for (const v of ['x5', '5x', '1234567890', '-1', '1.5']) assert.deepEqual(faultFieldsOfText(`delay_ms=${v}`), { delay_ms: v }, v);
    assert.deepEqual(faultFieldsOfText('times=x2'), { times: 'x2' });
  });

  test('a part without a name and a value is refused, naming the part', () => {
    for (const bad of ['effect', '=drop', 'effect=drop; commit']) {
      const part = bad.split(';').at(-1)!.trim();
      assert.throws(
        () => faultFieldsOfText(bad),
        (e: unknown) => e instanceof FaultDefinitionError && e.field === part && e.message === `"${part}" is not name=value`,
        bad,
      );
    }
  });
});

describe('matching a call', () => {
  const spec = (fields: Record<string, unknown>) => parseFaultDefinition(fields);

  test('the operation must agree unless the definition says `*`', () => {
    assert.equal(faultMatches(spec({ operation: 'reverse', effect: 'system_error' }), call('reverse')), true);
    assert.equal(faultMatches(spec({ operation: 'reverse', effect: 'system_error' }), call('refund')), false);
    assert.equal(faultMatches(spec({ operation: '*', effect: 'system_error' }), call('refund')), true);
  });

  test('dialect and out_trade_no narrow a definition when given', () => {
    const narrow = spec({ operation: 'pay', effect: 'drop', dialect: 'wechatpay-v2', out_trade_no: 'A' });
    assert.equal(faultMatches(narrow, call('pay', 'wechatpay-v2', 'A')), true);
    assert.equal(faultMatches(narrow, call('pay', 'wechatpay-v3', 'A')), false);
    assert.equal(faultMatches(narrow, call('pay', 'wechatpay-v2', 'B')), false);
    assert.equal(faultMatches(narrow, call('pay', 'wechatpay-v2', null)), false);
    assert.equal(faultMatches(spec({ operation: 'pay', effect: 'drop' }), call('pay', 'paycloud', null)), true);
  });

  test('a `*` definition only fires with an effect the call can have', () => {
    for (const effect of ['system_error', 'timeout', 'drop', 'delay'])
      assert.equal(faultMatches(spec({ operation: '*', effect }), call('query')), true, effect);
    assert.equal(faultMatches(spec({ operation: '*', effect: 'duplicate' }), call('query')), false);
    for (const effect of ['drop', 'delay', 'duplicate']) assert.equal(faultMatches(spec({ operation: '*', effect }), call('notify')), true, effect);
    for (const effect of ['system_error', 'timeout']) assert.equal(faultMatches(spec({ operation: '*', effect }), call('notify')), false, effect);
  });

  test('the oldest live definition fires; a spent one is skipped until all are spent', () => {
    const plan = [
      stored('1', { operation: 'pay', effect: 'drop', times: 2 }, 2),
      stored('2', { operation: '*', effect: 'delay', times: 2 }, 1),
      stored('3', { operation: 'pay', effect: 'drop' }),
    ];
    assert.equal(pickFault(plan, call('pay'))?.id, '2');
    assert.equal(pickFault([plan[0]!, plan[2]!], call('pay'))?.id, '3');
    assert.equal(pickFault([plan[0]!], call('pay')), null);
    assert.equal(pickFault([], call('pay')), null);
  });
});

describe('what commit means for the call', () => {
  const spec = (fields: Record<string, unknown>) => parseFaultDefinition(fields);

  test('a stored commit stands on an operation that writes', () => {
    assert.equal(effectiveCommit(spec({ operation: 'reverse', effect: 'system_error', commit: 'before' }), 'reverse'), 'before');
    assert.equal(effectiveCommit(spec({ operation: 'reverse', effect: 'drop' }), 'reverse'), 'after');
    assert.equal(effectiveCommit(spec({ operation: '*', effect: 'timeout', commit: 'before' }), 'refund'), 'before');
  });

  test('`*` and the header: after on operations that write', () => {
    for (const operation of ['create', 'pay', 'close', 'reverse', 'void', 'refund'] as const) {
      assert.equal(effectiveCommit(spec({ operation: '*', effect: 'system_error' }), operation), 'after', operation);
      assert.equal(effectiveCommit(parseFaultDefinition({ effect: 'drop' }, false), operation), 'after', operation);
    }
  });

  test('nothing on reads and notify, nor for delay and duplicate', () => {
    for (const operation of ['query', 'refund_query'] as const) {
      assert.equal(effectiveCommit(spec({ operation: '*', effect: 'system_error' }), operation), null, operation);
      assert.equal(effectiveCommit(spec({ operation: '*', effect: 'timeout', commit: 'before' }), operation), null, `${operation}, commit stated`);
    }
    assert.equal(effectiveCommit(spec({ operation: 'notify', effect: 'drop' }), 'notify'), null);
    assert.equal(effectiveCommit(spec({ operation: '*', effect: 'drop', commit: 'after' }), 'notify'), null);
    assert.equal(effectiveCommit(spec({ operation: 'reverse', effect: 'delay' }), 'reverse'), null);
    assert.equal(effectiveCommit(spec({ operation: '*', effect: 'duplicate' }), 'refund'), null);
  });
});
