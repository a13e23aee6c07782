/**
 * One settlement, every dialect: the same order (amount, currency, rate) reports the same payer amount through
 * APIv3 Global query (`payer_total`), APIv2 orderquery (`cash_fee`) and PayCloud order.query
 * (`trans_amount_cny`), and that amount is the exact value rounded half up. Real clients, real wire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decimalToMinor, minorToDecimal } from '../../src/core/money.ts';
import { primaryDatabase } from '../helpers/database.ts';
import { merchantClient, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { PayCloudClient, type AppCredentials } from './paycloud/paycloud-client.ts';
import { v2Client } from './wechatpay-v2/v2-client.ts';

const database = primaryDatabase();
const EXPONENT: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, HKD: 2, USD: 2, KWD: 3, BHD: 3 };

/** amount × rate / 10^8 in fen, rounded half up, by integer arithmetic written apart from the gateway's. */
function expectedFen(amount: number, currency: string, rate: number): number {
  const exp = EXPONENT[currency]!;
  const num = BigInt(amount) * BigInt(rate) * (exp < 2 ? 10n ** BigInt(2 - exp) : 1n);
  const den = 100_000_000n * (exp > 2 ? 10n ** BigInt(exp - 2) : 1n);
  return Number(num / den + (2n * (num % den) >= den ? 1n : 0n));
}

describe('settlement across dialects', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database, undefined, { tls: true });
  });
  after(async () => {
    await gw.close();
  });

  let n = 0;
  /** Creates and pays one order of `amount` `currency` in each dialect; answers each dialect's payer amount in fen. */
  async function payerAmounts(c: Credentials, amount: number, currency: string): Promise<{ v3: number; v2: number; paycloud: number }> {
    const no = (d: string) => `S${++n}${d}`;
    const pay = async (orderNo: string) => assert.equal((await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/${orderNo}/pay`)).status, 200);

    const v3 = merchantClient(c).v3;
    const g = no('G');
    await v3.global.transactions.native.post({
      appid: c.appid,
      mchid: c.mchid,
      description: 'settle',
      out_trade_no: g,
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: amount, currency },
    });
    await pay(g);
    const global = (await v3.global.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: g })).data;
    assert.equal(global.amount.payer_currency, 'CNY');

    const v2 = v2Client(c).v2;
    const w = no('W');
    await v2.pay.unifiedorder.post({
      appid: c.appid,
      mch_id: c.mchid,
      body: 'settle',
      out_trade_no: w,
      total_fee: String(amount),
      fee_type: currency,
      spbill_create_ip: '10.0.0.1',
      notify_url: 'http://127.0.0.1:9/n',
      trade_type: 'NATIVE',
      product_id: 'P1',
    });
    await pay(w);
    const q2 = (await v2.pay.orderquery.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: w })).data;
    assert.equal(q2.cash_fee_type, 'CNY');

    const pc = new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, 'form');
    const p = no('P');
    await pc.call('cscanb.pay.getqrcode', {
      merchant_order_no: p,
      pay_method_id: 'WeChatPay',
      price_currency: currency,
      trans_amount: minorToDecimal(amount, currency),
      description: 'settle',
    });
    await pay(p);
    const q3 = (await pc.call('order.query', { merchant_order_no: p })).data;

    return { v3: global.amount.payer_total, v2: Number(q2.cash_fee), paycloud: decimalToMinor(String(q3.trans_amount_cny), 'CNY')! };
  }

  test('500 JPY at 0.0512 is 25.60 CNY in every dialect (APIv3 Global said 26)', async () => {
    const c = await gw.newMerchant({ region: 'global', currency: 'JPY', exchangeRate: 5_120_000 });
    assert.deepEqual(await payerAmounts(c, 500, 'JPY'), { v3: 2560, v2: 2560, paycloud: 2560 });
  });

  test('property: exponents 0, 2 and 3, many rates — one payer amount, exact, half up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('JPY', 'KRW', 'HKD', 'USD', 'KWD', 'BHD'),
        fc.integer({ min: 1, max: 2_000_000_000 }),
        fc.oneof(
          fc.integer({ min: 1, max: 100_000_000 }),
          fc.integer({ min: 100_000_000, max: 5_000_000_000 }),
          fc.constantFrom(5_000_000, 50_000_000, 150_000_000),
        ),
        async (currency, amount, rate) => {
          const c = await gw.newMerchant({ region: 'global', currency, exchangeRate: rate });
          const got = await payerAmounts(c, amount, currency);
          const fen = expectedFen(amount, currency, rate);
          assert.deepEqual(got, { v3: fen, v2: fen, paycloud: fen }, `${amount} ${currency} at ${rate}`);
        },
      ),
      { numRuns: 12 },
    );
  });
});
