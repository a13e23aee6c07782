/** Money: ISO 4217 exponents, exact decimal ⇄ minor-unit conversion, the accepted amount range. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { currencyExponent, decimalToMinor, isKnownCurrency, isValidMinorAmount, MAX_MINOR_AMOUNT, minorToDecimal } from '../../src/core/money.ts';

test('exponents: 0, 2 and 3; unknown currencies are refused', () => {
  assert.deepEqual(['JPY', 'KRW', 'CNY', 'HKD', 'USD', 'IDR', 'KWD', 'BHD'].map(currencyExponent), [0, 0, 2, 2, 2, 2, 3, 3]);
  assert.equal(isKnownCurrency('CNY'), true);
  assert.equal(isKnownCurrency('XXX'), false);
  assert.equal(isKnownCurrency('toString'), false, 'no prototype keys');
  assert.throws(() => currencyExponent('XXX'), { name: 'RangeError', message: 'unknown currency XXX' });
});

test('valid amounts: positive safe integers up to MAX_MINOR_AMOUNT', () => {
  assert.equal(isValidMinorAmount(1), true);
  assert.equal(isValidMinorAmount(MAX_MINOR_AMOUNT), true);
  assert.equal(isValidMinorAmount(MAX_MINOR_AMOUNT + 1), false);
  for (const bad of [0, -1, 1.5, '1', null, Number.NaN, 2 ** 53]) assert.equal(isValidMinorAmount(bad), false, String(bad));
});

test('decimal text to minor units, exactly', () => {
  assert.equal(decimalToMinor('200.06', 'CNY'), 20006);
  assert.equal(decimalToMinor('1.0', 'JPY'), 1, 'trailing zeros beyond the exponent are tolerated');
  assert.equal(decimalToMinor('1.00', 'JPY'), 1);
  assert.equal(decimalToMinor('1.2000', 'CNY'), 120);
  assert.equal(decimalToMinor('100', 'JPY'), 100);
  assert.equal(decimalToMinor('0.5', 'CNY'), 50);
  assert.equal(decimalToMinor('1.234', 'KWD'), 1234);
  assert.equal(decimalToMinor('1.2', 'KWD'), 1200);
  assert.equal(decimalToMinor('1.5', 'JPY'), null, 'more precision than the currency');
  assert.equal(decimalToMinor('1.001', 'CNY'), null);
  assert.equal(decimalToMinor('1.00', 'XXX'), null);
  for (const bad of ['', '1.', '.5', '-1', '1e3', ' 1', '1 ', '0x10', '1,5']) assert.equal(decimalToMinor(bad, 'CNY'), null, bad);
  assert.equal(decimalToMinor('100000000000', 'CNY'), MAX_MINOR_AMOUNT);
  assert.equal(decimalToMinor('100000000000.01', 'CNY'), null, 'above the largest amount');
  assert.equal(decimalToMinor('1234567890123456', 'JPY'), null, 'more than 15 integer digits');
});

test('minor units to the shortest decimal text', () => {
  assert.equal(minorToDecimal(20006, 'CNY'), '200.06');
  assert.equal(minorToDecimal(20000, 'CNY'), '200');
  assert.equal(minorToDecimal(50, 'CNY'), '0.5');
  assert.equal(minorToDecimal(5, 'CNY'), '0.05');
  assert.equal(minorToDecimal(500, 'JPY'), '500');
  assert.equal(minorToDecimal(1, 'KWD'), '0.001');
  assert.equal(minorToDecimal(1230, 'KWD'), '1.23');
});

test('property: decimal ⇄ minor round-trips for every exponent', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_MINOR_AMOUNT }), fc.constantFrom('JPY', 'CNY', 'KWD'), (n, c) => {
      assert.equal(decimalToMinor(minorToDecimal(n, c), c), n);
    }),
  );
});
