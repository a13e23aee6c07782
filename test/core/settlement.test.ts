/** Settlement: exact conversion by currency exponent, half up, fixed once; the rate as text and back. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  convertAmount,
  legacySettlement,
  orderSettlement,
  PAYER_CURRENCY,
  payerPart,
  RATE_SCALE,
  rateFromText,
  rateText,
  settle,
  settlementRate,
} from '../../src/core/settlement.ts';

/** An independent oracle: the exact rational amount × rate × 10^(payerExp − exp) / 10^8, rounded half up, by decimal strings. */
function oracle(amount: number, exp: number, payerExp: number, rate: number): number {
  const num = BigInt(amount) * BigInt(rate) * 10n ** BigInt(Math.max(payerExp - exp, 0));
  const den = 10n ** 8n * 10n ** BigInt(Math.max(exp - payerExp, 0));
  const q = num / den;
  return Number(2n * (num % den) >= den ? q + 1n : q);
}

describe('settlement', () => {
  test('examples across exponents: JPY 0, HKD 2, KWD 3', () => {
    assert.equal(convertAmount(500, 'JPY', 'CNY', 5_120_000), 2560, '500 JPY at 0.0512 = 25.60 CNY');
    assert.equal(convertAmount(1000, 'HKD', 'CNY', 91_234_567), 912);
    assert.equal(convertAmount(1000, 'HKD', 'CNY', 91_250_000), 913, '912.5 rounds up');
    assert.equal(convertAmount(1000, 'HKD', 'CNY', 91_249_999), 912, 'just below half rounds down');
    assert.equal(convertAmount(1000, 'JPY', 'CNY', 4_800_000), 4800);
    assert.equal(convertAmount(1000, 'KWD', 'CNY', 2_350_000_000), 2350, '1.000 KWD at 23.5 = 23.50 CNY');
    assert.equal(convertAmount(1005, 'KWD', 'CNY', RATE_SCALE), 101, '1.005 KWD at 1 = 1.01 CNY (half up)');
    assert.equal(convertAmount(1004, 'KWD', 'CNY', RATE_SCALE), 100);
    assert.equal(convertAmount(10_000_000_000_000, 'USD', 'CNY', 720_000_000), 72_000_000_000_000, 'exact beyond 2^53 intermediates');
    assert.equal(convertAmount(123, 'CNY', 'JPY', RATE_SCALE), 1, '1.23 CNY in yen at 1 = 1');
    assert.equal(convertAmount(150, 'CNY', 'JPY', RATE_SCALE), 2, '1.50 → 2 (half up)');
  });

  test('property: equals the exact rational value rounded half up, for exponents 0, 2, 3 and any rate', () => {
    const currencies = fc.constantFrom(['JPY', 0], ['KRW', 0], ['HKD', 2], ['USD', 2], ['CNY', 2], ['KWD', 3], ['BHD', 3]) as fc.Arbitrary<[string, number]>;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000_000_000 }),
        currencies,
        currencies,
        fc.integer({ min: 1, max: 100 * RATE_SCALE }),
        (amount, [from, fromExp], [to, toExp], rate) => {
          assert.equal(convertAmount(amount, from, to, rate), oracle(amount, fromExp, toExp, rate));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a new order: CNY at rate 1, anything else at the merchant rate, paid in CNY', () => {
    assert.equal(settlementRate('CNY', 5_120_000), RATE_SCALE);
    assert.equal(settlementRate('JPY', 5_120_000), 5_120_000);
    assert.deepEqual(settle(500, 'JPY', 5_120_000), { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 });
    assert.deepEqual(settle(1234, 'CNY', 5_120_000), { rate: RATE_SCALE, payerCurrency: 'CNY', payerAmount: 1234 });
    assert.equal(PAYER_CURRENCY, 'CNY');
  });

  test('a refund is converted at the order’s fixed rate', () => {
    const s = settle(500, 'JPY', 5_120_000);
    assert.equal(payerPart(s, 100, 'JPY'), 512);
    assert.equal(payerPart(s, 500, 'JPY'), s.payerAmount);
  });

  test('an order keeps its settlement; one without gets the merchant rate', () => {
    const fixed = { rate: 7, payerCurrency: 'CNY', payerAmount: 1 };
    assert.equal(orderSettlement({ amount: 500, currency: 'JPY', settlement: fixed }, 5_120_000), fixed);
    assert.deepEqual(orderSettlement({ amount: 500, currency: 'JPY', settlement: null }, 5_120_000), settle(500, 'JPY', 5_120_000));
  });

  test('rate text: shortest decimal, and back', () => {
    assert.equal(rateText(5_120_000), '0.0512');
    assert.equal(rateText(RATE_SCALE), '1');
    assert.equal(rateText(91_234_567), '0.91234567');
    assert.equal(rateText(2_350_000_000), '23.5');
    assert.equal(rateText(1), '0.00000001');
    assert.equal(rateFromText('0.0512'), 5_120_000);
    assert.equal(rateFromText('23.5'), 2_350_000_000);
    assert.equal(rateFromText('1'), RATE_SCALE);
    for (const bad of ['', '1.', '.5', '0.000000001', '-1', '1e3', 'x']) assert.equal(rateFromText(bad), null, bad);
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000 * RATE_SCALE }), (r) => rateFromText(rateText(r)) === r));
  });

  test('orders stored before settlement: APIv2/Global `rate`, PayCloud `exchangeRate` + `transAmountCny`', () => {
    assert.deepEqual(legacySettlement(500, 'JPY', { rate: 5_120_000 }), { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 });
    assert.deepEqual(legacySettlement(1000, 'CNY', { rate: 91_234_567 }), { rate: 91_234_567, payerCurrency: 'CNY', payerAmount: 912 });
    assert.deepEqual(legacySettlement(500, 'JPY', { exchangeRate: '0.0512', transAmountCny: 2560 }), {
      rate: 5_120_000,
      payerCurrency: 'CNY',
      payerAmount: 2560,
    });
    assert.deepEqual(
      legacySettlement(500, 'JPY', { exchangeRate: '0.0512', transAmountCny: 2561 }),
      { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2561 },
      'the amount PayCloud answered stands, even where the rate gives another',
    );
    assert.deepEqual(legacySettlement(500, 'JPY', { exchangeRate: '0.0512' }), { rate: 5_120_000, payerCurrency: 'CNY', payerAmount: 2560 });
    assert.equal(legacySettlement(500, 'JPY', { exchangeRate: 0.0512 }), null, 'PayCloud kept the rate as text');
    assert.equal(legacySettlement(500, 'JPY', {}), null);
    assert.equal(legacySettlement(500, 'JPY', { rate: 0 }), null);
    assert.equal(legacySettlement(500, 'JPY', { rate: 1.5 }), null);
    assert.equal(legacySettlement(500, 'JPY', { rate: '5120000' }), null);
    assert.equal(legacySettlement(500, 'JPY', { exchangeRate: '0' }), null);
    assert.equal(legacySettlement(500, 'JPY', { exchangeRate: 'abc' }), null);
  });
});
