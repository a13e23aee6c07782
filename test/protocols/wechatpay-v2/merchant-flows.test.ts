/**
 * The merchant's view of APIv2: wechatpay-axios-plugin over HTTPS with the client certificate from the
 * credentials JSON, against a gateway on real ports. Every SUCCESS answer the plugin accepts has passed its
 * signature check; refusals are checked here with the merchant's key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { answerSigned, failed, v2Client } from './v2-client.ts';

const AUTH = { pays: '134567890123450000', abandons: '134567890123450002', systemErrorPaid: '134567890123450005' };

const database = primaryDatabase();

describe('APIv2 with wechatpay-axios-plugin over HTTPS', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database, undefined, { tls: true });
  });
  after(async () => {
    await gw.close();
  });

  const setup = async () => {
    const c = await gw.newMerchant();
    const wx = v2Client(c);
    const id = { appid: c.appid, mch_id: c.mchid };
    return {
      c,
      wx,
      micropay: (no: string, authCode: string, extra: Record<string, string> = {}) =>
        wx.v2.pay.micropay.post({
          ...id,
          body: 'coffee',
          out_trade_no: no,
          total_fee: '1000',
          spbill_create_ip: '10.0.0.1',
          auth_code: authCode,
          ...extra,
        }),
      unifiedorder: (no: string, extra: Record<string, string> = {}) =>
        wx.v2.pay.unifiedorder.post({
          ...id,
          body: 'subscription',
          out_trade_no: no,
          total_fee: '1000',
          spbill_create_ip: '10.0.0.1',
          notify_url: 'http://127.0.0.1:9/notify',
          trade_type: 'NATIVE',
          product_id: 'P1',
          ...extra,
        }),
      query: async (no: string) => (await wx.v2.pay.orderquery.post({ ...id, out_trade_no: no })).data,
      close: (no: string) => wx.v2.pay.closeorder.post({ ...id, out_trade_no: no }),
      reverse: (no: string) => wx.v2.secapi.pay.reverse.post({ ...id, out_trade_no: no }, { security: true }),
      refund: (no: string, refundNo: string, fee: number) =>
        wx.v2.secapi.pay.refund.post(
          {
            ...id,
            out_trade_no: no,
            out_refund_no: refundNo,
            total_fee: '1000',
            refund_fee: String(fee),
          },
          { security: true },
        ),
      refundquery: (params: Record<string, string>) => wx.v2.pay.refundquery.post({ ...id, ...params }),
    };
  };

  const view = async (c: Credentials, no: string) => (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/${no}`)).body;

  test('micropay → orderquery SUCCESS → reverse refused at +10 s (recall Y), done at +16 s (recall N) → REVOKED', async () => {
    const { c, micropay, query, reverse, refundquery } = await setup();
    const paid = (await micropay('MP1', AUTH.pays)).data;
    assert.equal(paid.result_code, 'SUCCESS');
    assert.equal(paid.trade_type, 'MICROPAY');
    assert.match(paid.transaction_id, /^4200\d{24}$/);
    assert.deepEqual([paid.total_fee, paid.cash_fee, paid.fee_type], ['1000', '1000', 'CNY']);
    assert.match(paid.time_end, /^\d{14}$/);
    const q = await query('MP1');
    assert.deepEqual([q.trade_state, q.trade_state_desc, q.transaction_id], ['SUCCESS', '支付成功', paid.transaction_id]);

    await gw.advance(c.mchid, 10);
    const early = await failed(reverse('MP1'));
    assert.deepEqual([early.data.err_code, early.data.recall], ['FREQUENCY_LIMITED', 'Y']);
    assert.ok(answerSigned(early.data, c.apiV2Key, 'MD5'), 'result-level refusals are signed');

    await gw.advance(c.mchid, 6);
    const reversed = (await reverse('MP1')).data;
    assert.deepEqual([reversed.result_code, reversed.recall, reversed.appid, reversed.mch_id], ['SUCCESS', 'N', c.appid, c.mchid]);
    assert.equal((await query('MP1')).trade_state, 'REVOKED');
    assert.deepEqual(
      (await view(c, 'MP1')).refunds.map((r: any) => [r.cause, r.amount]),
      [['reverse', 1000]],
    );
    assert.deepEqual([(await reverse('MP1')).data.recall, (await query('MP1')).trade_state], ['N', 'REVOKED'], 'a repeat reverse succeeds unchanged');
    const none = await failed(refundquery({ out_trade_no: 'MP1' }));
    assert.equal(none.data.err_code, 'REFUNDNOTEXIST', 'the refund a reverse made is not a merchant refund');
  });

  test('reverse while the payer types the password → USERPAYING recall Y; after the 30 s timeout it succeeds', async () => {
    const { c, micropay, query, reverse } = await setup();
    const prompt = await failed(micropay('MP2', AUTH.abandons));
    assert.deepEqual([prompt.data.return_code, prompt.data.result_code, prompt.data.err_code], ['SUCCESS', 'FAIL', 'USERPAYING']);
    await gw.advance(c.mchid, 20);
    const paying = await failed(reverse('MP2'));
    assert.deepEqual([paying.data.err_code, paying.data.recall], ['USERPAYING', 'Y']);
    assert.equal((await query('MP2')).trade_state, 'USERPAYING');
    await gw.advance(c.mchid, 11);
    assert.equal((await query('MP2')).trade_state, 'PAYERROR');
    assert.equal((await reverse('MP2')).data.recall, 'N');
    assert.equal((await query('MP2')).trade_state, 'REVOKED');
    assert.deepEqual((await view(c, 'MP2')).refunds, [], 'nothing was paid, so nothing is refunded');
  });

  test('micropay …0005 answers SYSTEMERROR but paid → orderquery SUCCESS → reverse refunds in full', async () => {
    const { c, micropay, query, reverse } = await setup();
    const unknown = await failed(micropay('MP3', AUTH.systemErrorPaid));
    assert.equal(unknown.data.err_code, 'SYSTEMERROR');
    assert.equal((await query('MP3')).trade_state, 'SUCCESS');
    await gw.advance(c.mchid, 16);
    assert.equal((await reverse('MP3')).data.result_code, 'SUCCESS');
    const v = await view(c, 'MP3');
    assert.equal(v.state, 'REVOKED');
    assert.deepEqual(
      v.refunds.map((r: any) => [r.cause, r.amount, r.status]),
      [['reverse', 1000, 'SUCCESS']],
    );
  });

  test('closeorder: too early → FREQUENCY_LIMITED; at 5 min → SUCCESS; again → ORDERCLOSED', async () => {
    const { c, unifiedorder, close, query } = await setup();
    const created = (await unifiedorder('UO1')).data;
    assert.equal(created.trade_type, 'NATIVE');
    assert.match(created.prepay_id, /^wx\d{14}[0-9a-f]{20}$/);
    assert.match(created.code_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    assert.equal((await failed(close('UO1'))).data.err_code, 'FREQUENCY_LIMITED');
    await gw.advance(c.mchid, 300);
    const closed = (await close('UO1')).data;
    assert.deepEqual([closed.result_code, closed.result_msg], ['SUCCESS', 'OK']);
    assert.equal((await query('UO1')).trade_state, 'CLOSED');
    assert.equal((await failed(close('UO1'))).data.err_code, 'ORDERCLOSED');
    const pay = await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/UO1/pay`);
    assert.equal(pay.body.error, 'ORDER_CLOSED', 'the payer cannot pay a closed order');
  });

  test('closeorder of a paid order → ORDERPAID; of an unpaid code payment → INVALID_REQUEST', async () => {
    const { c, unifiedorder, micropay, close, query } = await setup();
    await unifiedorder('UO2');
    await gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/UO2/pay`);
    await failed(micropay('MP4', '134567890123450003'));
    await gw.advance(c.mchid, 600);
    assert.equal((await failed(close('UO2'))).data.err_code, 'ORDERPAID');
    assert.equal((await query('UO2')).trade_state, 'SUCCESS');
    assert.equal((await failed(close('MP4'))).data.err_code, 'INVALID_REQUEST');
  });

  test('unifiedorder replays the same prepay_id; other parameters → OUT_TRADE_NO_USED; JSAPI without openid → LACK_PARAMS', async () => {
    const { unifiedorder } = await setup();
    const first = (await unifiedorder('UO3')).data;
    const again = (await unifiedorder('UO3')).data;
    assert.equal(again.prepay_id, first.prepay_id);
    assert.equal((await failed(unifiedorder('UO3', { total_fee: '999' }))).data.err_code, 'OUT_TRADE_NO_USED');
    const jsapi = await failed(unifiedorder('UO4', { trade_type: 'JSAPI', product_id: '' }));
    assert.equal(jsapi.data.err_code, 'LACK_PARAMS');
    assert.match(jsapi.data.err_code_des, /openid/);
  });

  test('refund twice, replay, conflicts and over-refund; refundquery by order, out_refund_no, refund_id and offset', async () => {
    const { c, micropay, refund, refundquery, query } = await setup();
    const paid = (await micropay('MP5', AUTH.pays)).data;
    const r1 = (await refund('MP5', 'RF1', 400)).data;
    assert.deepEqual(
      [r1.result_code, r1.out_refund_no, r1.refund_fee, r1.total_fee, r1.transaction_id],
      ['SUCCESS', 'RF1', '400', '1000', paid.transaction_id],
    );
    assert.match(r1.refund_id, /^5030\d{25}$/);
    assert.equal((await refund('MP5', 'RF1', 400)).data.refund_id, r1.refund_id, 'same out_refund_no → the same refund');
    assert.equal((await failed(refund('MP5', 'RF1', 300))).data.err_code, 'INVALID_REQUEST');
    const r2 = (await refund('MP5', 'RF2', 300)).data;
    const over = await failed(refund('MP5', 'RF3', 301));
    assert.deepEqual([over.data.err_code, over.data.err_code_des], ['ERROR', '累计退款金额大于支付金额']);
    assert.equal((await query('MP5')).trade_state, 'REFUND');

    const processing = (await refundquery({ out_refund_no: 'RF2' })).data;
    assert.deepEqual([processing.refund_count, processing.refund_status_0, processing.refund_id_0], ['1', 'PROCESSING', r2.refund_id]);
    await gw.advance(c.mchid, 2);
    const all = (await refundquery({ out_trade_no: 'MP5' })).data;
    assert.equal(all.refund_count, '2');
    assert.deepEqual([all.out_refund_no_0, all.refund_fee_0, all.refund_status_0], ['RF1', '400', 'SUCCESS']);
    assert.deepEqual([all.out_refund_no_1, all.refund_fee_1, all.refund_status_1], ['RF2', '300', 'SUCCESS']);
    assert.match(all.refund_success_time_0, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(all.refund_recv_accout_0, '支付用户的零钱');
    assert.equal(all.total_refund_count, undefined, 'only when paging');
    const byId = (await refundquery({ refund_id: r1.refund_id, out_trade_no: 'ignored' })).data;
    assert.deepEqual([byId.refund_count, byId.out_refund_no_0], ['1', 'RF1']);
    const paged = (await refundquery({ transaction_id: paid.transaction_id, offset: '1' })).data;
    assert.deepEqual([paged.total_refund_count, paged.refund_count, paged.out_refund_no_0], ['2', '1', 'RF2']);
    assert.equal((await failed(refundquery({ out_refund_no: 'RF3' }))).data.err_code, 'REFUNDNOTEXIST');
  });

  test('reverse after 7 days → REVERSE_EXPIRE recall N, the order stays paid', async () => {
    const { c, micropay, reverse, query } = await setup();
    await micropay('MP6', AUTH.pays);
    await gw.advance(c.mchid, 7 * 86400 + 1);
    const late = await failed(reverse('MP6'));
    assert.deepEqual([late.data.err_code, late.data.recall], ['REVERSE_EXPIRE', 'N']);
    assert.equal((await query('MP6')).trade_state, 'SUCCESS');
  });

  test('HMAC-SHA256 requests get HMAC-SHA256 answers (the plugin verifies them)', async () => {
    const { c, micropay, wx } = await setup();
    const paid = (await micropay('MP7', AUTH.pays, { sign_type: 'HMAC-SHA256' })).data;
    assert.equal(paid.sign.length, 64);
    const q = (await wx.v2.pay.orderquery.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'MP7', sign_type: 'HMAC-SHA256' })).data;
    assert.deepEqual([q.trade_state, q.sign.length], ['SUCCESS', 64]);
    await gw.advance(c.mchid, 16);
    const reversed = await wx.v2.secapi.pay.reverse.post(
      { appid: c.appid, mch_id: c.mchid, out_trade_no: 'MP7', sign_type: 'HMAC-SHA256' },
      { security: true },
    );
    assert.deepEqual([reversed.data.result_code, reversed.data.sign.length], ['SUCCESS', 64]);
  });
});
