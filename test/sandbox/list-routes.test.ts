/**
 * GET /sandbox/merchants and /sandbox/merchants/{mchid}/orders: `{ data, next_cursor }`, keyset pages that
 * neither skip nor repeat rows, and each filter (state, dialect, trade type, out_trade_no prefix, time range).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { merchantClient, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';

const database = primaryDatabase();
const NOTIFY = 'http://127.0.0.1:9/notify';

describe('sandbox lists', () => {
  let gw: TestGateway;
  let c: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    c = await gw.newMerchant();
    const wx = merchantClient(c);
    // 7 native orders (one a business-time minute apart), 2 code payments; the first native one paid.
    for (let i = 0; i < 7; i++) {
      await wx.v3.pay.transactions.native.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'd',
        out_trade_no: `N-${i}`,
        amount: { total: 1 },
        notify_url: NOTIFY,
      });
      await gw.advance(c.mchid, 60);
    }
    for (const no of ['P_1', 'PX1']) {
      await wx.v3.pay.transactions.native.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'd',
        out_trade_no: no,
        amount: { total: 1 },
        notify_url: NOTIFY,
      });
    }
    for (const no of ['C-1', 'C-2']) {
      await wx.v3.pay.transactions.codepay.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'd',
        out_trade_no: no,
        payer: { auth_code: '134567890123450000' },
        amount: { total: 1 },
        scene_info: { store_info: { out_id: 'S' } },
      });
    }
    assert.equal((await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/N-0/pay`)).status, 200);
  });
  after(async () => {
    await gw.close();
    await database.cleanup();
  });

  const orders = async (query: string) => {
    const res = await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { data: any[]; next_cursor: string | null };
  };
  const nos = (page: { data: any[] }) => page.data.map((o) => o.out_trade_no);

  test('pages newest first, without gaps or repeats, and end with next_cursor null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await orders(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.ok(page.data.length <= 3);
      seen.push(...nos(page));
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 11);
    assert.equal(new Set(seen).size, 11);
    assert.deepEqual(seen.slice(-7), ['N-6', 'N-5', 'N-4', 'N-3', 'N-2', 'N-1', 'N-0']);
    const first = (await orders('limit=1')).data[0];
    assert.deepEqual(Object.keys(first).sort(), [
      'amount',
      'created_at',
      'currency',
      'dialect',
      'mchid',
      'out_trade_no',
      'paid_at',
      'refunded_amount',
      'state',
      'trade_type',
      'transaction_id',
    ]);
  });

  test('filters: state, dialect, trade type, prefix (LIKE characters literal), time range', async () => {
    assert.deepEqual(nos(await orders('state=SUCCESS&trade_type=NATIVE')), ['N-0']);
    assert.deepEqual(nos(await orders('trade_type=MICROPAY')).sort(), ['C-1', 'C-2']);
    assert.equal((await orders('dialect=wechatpay-v3&limit=200')).data.length, 11);
    assert.equal((await orders('dialect=paycloud')).data.length, 0);
    assert.deepEqual(nos(await orders('out_trade_no_prefix=P_')), ['P_1'], '_ is not a wildcard');
    assert.deepEqual(nos(await orders('out_trade_no_prefix=P')).sort(), ['PX1', 'P_1']);
    const at = new Map((await orders('limit=200')).data.map((o) => [o.out_trade_no, o.created_at as string]));
    const from = at.get('N-2')!;
    const to = at.get('N-4')!;
    assert.deepEqual(nos(await orders(`created_from=${from}&created_to=${to}`)), ['N-3', 'N-2']);
  });

  test('refusals: bad filter values and cursors are 400, unknown merchant 404, no token 401', async () => {
    for (const q of ['state=PAID', 'limit=0', 'limit=201', 'cursor=abc', 'created_from=yesterday']) {
      assert.equal((await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders?${q}`)).status, 400, q);
    }
    assert.equal((await gw.admin('GET', '/sandbox/merchants/999999999/orders')).status, 404);
    assert.equal((await fetch(new URL(`/sandbox/merchants/${c.mchid}/orders`, gw.baseUrl))).status, 401);
  });

  test('merchants: creation order, keyset pages, sp_mchid of sub-merchants, no key material', async () => {
    const sp = await gw.newMerchant({ mode: 'service_provider' });
    const sub = await gw.newMerchant({ mode: 'sub_merchant', sp_mchid: sp.mchid });
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const res = await gw.admin('GET', `/sandbox/merchants?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      all.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    const mine = all.filter((m) => [c.mchid, sp.mchid, sub.mchid].includes(m.mchid));
    assert.deepEqual(
      mine.map((m) => [m.mode, m.sp_mchid]),
      [
        ['direct', null],
        ['service_provider', null],
        ['sub_merchant', sp.mchid],
      ],
    );
    assert.ok(!JSON.stringify(all).includes('PRIVATE KEY'));
  });
});
