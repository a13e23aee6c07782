/** The transitions table: every listed (state, event) leads where the table says, every other pair is refused. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OrderState } from '../../src/core/order.ts';
import {
  applyEvent,
  EVENT_FIELDS,
  IllegalTransitionError,
  nextState,
  ORDER_EVENTS,
  ORDER_STATES,
  TRANSITIONS,
  type OrderEvent,
  type OrderPatch,
} from '../../src/core/state-machine.ts';
import { anOrder, SECOND, T0 } from '../helpers/orders.ts';

/** The table written out as the allowed pairs, independently of TRANSITIONS. */
const ALLOWED: ReadonlyArray<[OrderState, OrderEvent, OrderState]> = [
  ['NOTPAY', 'pay', 'SUCCESS'],
  ['NOTPAY', 'await_payer', 'USERPAYING'],
  ['NOTPAY', 'fail', 'PAYERROR'],
  ['NOTPAY', 'expire', 'CLOSED'],
  ['NOTPAY', 'close', 'CLOSED'],
  ['NOTPAY', 'revoke', 'REVOKED'],
  ['USERPAYING', 'confirm', 'SUCCESS'],
  ['USERPAYING', 'fail', 'PAYERROR'],
  ['SUCCESS', 'revoke', 'REVOKED'],
  ['SUCCESS', 'refund', 'REFUND'],
  ['REFUND', 'refund', 'REFUND'],
  ['PAYERROR', 'close', 'CLOSED'],
  ['PAYERROR', 'revoke', 'REVOKED'],
];

describe('the order state machine', () => {
  test('states and events are complete and the table has a row per state', () => {
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...ORDER_STATES].sort());
    assert.deepEqual([...ORDER_EVENTS].sort(), ['await_payer', 'close', 'confirm', 'expire', 'fail', 'pay', 'refund', 'revoke']);
    assert.equal(new Set(ORDER_EVENTS).size, 8);
    assert.equal(new Set(ORDER_STATES).size, 7);
  });

  for (const state of ORDER_STATES) {
    for (const event of ORDER_EVENTS) {
      const allowed = ALLOWED.find(([s, e]) => s === state && e === event);
      test(`${state} × ${event} → ${allowed ? allowed[2] : 'refused'}`, () => {
        const order = anOrder(state, 'MICROPAY');
        if (allowed) {
          assert.equal(nextState(state, event), allowed[2]);
          assert.equal(applyEvent(order, event, T0 + SECOND).state, allowed[2]);
        } else {
          assert.equal(nextState(state, event), null);
          assert.throws(
            () => applyEvent(order, event, T0 + SECOND),
            (err: unknown) => err instanceof IllegalTransitionError && err.from === state && err.event === event && /no transition/.test(err.message),
          );
        }
      });
    }
  }

  test('CLOSED and REVOKED are final', () => {
    for (const state of ['CLOSED', 'REVOKED'] as const) assert.deepEqual(TRANSITIONS[state], {});
  });

  test('paying sets paidAt once; a later event keeps it', () => {
    const paid = applyEvent(anOrder('NOTPAY'), 'pay', T0 + 5 * SECOND);
    assert.equal(paid.paidAt, T0 + 5 * SECOND);
    const refunded = applyEvent(paid, 'refund', T0 + 9 * SECOND, { refundedAmount: 100, refundCount: 1 });
    assert.deepEqual([refunded.paidAt, refunded.refundedAmount, refunded.refundCount], [T0 + 5 * SECOND, 100, 1]);
    const confirmed = applyEvent(anOrder('USERPAYING', 'MICROPAY', { paidAt: null, payerConfirmAt: T0 + 3 * SECOND }), 'confirm', T0 + 3 * SECOND);
    assert.equal(confirmed.paidAt, T0 + 3 * SECOND);
    const paidBefore = applyEvent(anOrder('USERPAYING', 'MICROPAY', { paidAt: T0 + SECOND }), 'confirm', T0 + 3 * SECOND);
    assert.equal(paidBefore.paidAt, T0 + SECOND, 'a payment time once set is never moved');
    const failed = applyEvent(anOrder('NOTPAY'), 'fail', T0 + SECOND, { failure: 'NOT_ENOUGH' });
    assert.deepEqual([failed.paidAt, failed.failure], [null, 'NOT_ENOUGH']);
  });

  test("the payer's timers live only while USERPAYING; the patch sets them on entering it", () => {
    const waiting = applyEvent(anOrder('NOTPAY', 'MICROPAY'), 'await_payer', T0, { payerConfirmAt: T0 + 10 * SECOND, payerDeadlineAt: T0 + 30 * SECOND });
    assert.deepEqual([waiting.state, waiting.payerConfirmAt, waiting.payerDeadlineAt], ['USERPAYING', T0 + 10 * SECOND, T0 + 30 * SECOND]);
    const timedOut = applyEvent(waiting, 'fail', T0 + 30 * SECOND, { failure: 'PAYER_ABANDONED' });
    assert.deepEqual([timedOut.payerConfirmAt, timedOut.payerDeadlineAt, timedOut.paidAt], [null, null, null]);
  });

  test('an event changes only EVENT_FIELDS (what a state change writes), with or without a patch', () => {
    // Every fact of the order set, and a patch that sets every patchable fact to something else.
    const PATCH: Required<OrderPatch> = {
      transactionId: 'T2',
      failure: 'NOT_ENOUGH',
      payerConfirmAt: T0 + 7,
      payerDeadlineAt: T0 + 8,
      refundedAmount: 9,
      refundCount: 3,
    };
    for (const [state, event] of ALLOWED) {
      const order = anOrder(state, 'MICROPAY', {
        transactionId: 'T',
        attach: 'a',
        payerOpenid: 'o',
        extra: { k: 1 },
        paidAt: null,
        payerConfirmAt: T0,
        payerDeadlineAt: T0,
      });
      for (const patch of [{}, PATCH]) {
        const next = applyEvent(order, event, T0 + SECOND, patch);
        const changed = (Object.keys(next) as (keyof typeof next)[]).filter((k) => next[k] !== order[k]);
        assert.deepEqual(
          changed.filter((k) => !(EVENT_FIELDS as readonly string[]).includes(k)),
          [],
          `${state} × ${event}`,
        );
      }
    }
  });

  test('an event keeps every other fact of the order', () => {
    const order = anOrder('NOTPAY', 'NATIVE', { transactionId: 'T', attach: 'a', extra: { k: 1 } });
    const closed = applyEvent(order, 'close', T0 + SECOND);
    assert.deepEqual({ ...closed, state: order.state }, order);
  });
});
