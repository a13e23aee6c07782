/**
 * The fault lab through each dialect's real client: a fault defined in the sandbox makes close / reverse / void
 * answer the dialect's system error (signed as that dialect signs), take effect or not as `commit` says, and the
 * documented retry answers as a repeat — one refund, never two. `timeout` closes the socket with no answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../helpers/database.ts';
import { codepayBody, merchantClient, refused, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.ts';
import { assertRefused, PayCloudClient, type AppCredentials } from '../protocols/paycloud/paycloud-client.ts';
import { answerSigned, failed, v2Client } from '../protocols/wechatpay-v2/v2-client.ts';

const PAYS = '134567890123450000';
const database = primaryDatabase();

describe('fault lab through the dialects', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database, undefined, { tls: true });
  });
  after(async () => {
    await gw.close();
  });

  const view = async (mchid: string, no: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${no}`)).body;
  const addFault = async (mchid: string, body: Record<string, unknown>) => {
    const res = await gw.admin('POST', `/sandbox/merchants/${mchid}/faults`, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const faults = async (mchid: string) => (await gw.admin('GET', `/sandbox/merchants/${mchid}/faults`)).body.data;

  describe('APIv3 Mainland (seed 003: reverse SYSTEM_ERROR)', () => {
    const codepay = (c: Credentials, no: string) => codepayBody(c, no, PAYS);
    const reverse = (wx: any, c: Credentials, no: string, headers?: Record<string, string>) =>
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.reverse.post({ appid: c.appid, mchid: c.mchid }, { out_trade_no: no, ...(headers ? { headers } : {}) });
    const close = (wx: any, c: Credentials, no: string) =>
      wx.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: c.mchid }, { out_trade_no: no });

    test('reverse, system_error after commit: 500 SYSTEM_ERROR (signed), order REVOKED; the retry answers the same body, one refund', async () => {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'F1'));
      await gw.advance(c.mchid, 16);
      const defined = await addFault(c.mchid, { operation: 'reverse', effect: 'system_error', commit: 'after' });
      assert.deepEqual([defined.commit, defined.times, defined.fired], ['after', 1, 0]);
      const err = await refused(reverse(wx, c, 'F1'));
      assert.deepEqual([err.status, err.data], [500, { code: 'SYSTEM_ERROR', message: '系统错误' }]);
      const afterFault = await view(c.mchid, 'F1');
      assert.equal(afterFault.state, 'REVOKED');
      assert.deepEqual(
        afterFault.faults_fired.map((f: any) => [f.effect, f.commit, f.operation, f.dialect, f.fault_id]),
        [['system_error', 'after', 'reverse', 'wechatpay-v3', defined.id]],
      );
      assert.ok(afterFault.faults_fired[0].request_id, 'the firing names the request');
      const retry = await reverse(wx, c, 'F1');
      assert.equal(retry.status, 200);
      assert.deepEqual(retry.data, { appid: c.appid, mchid: c.mchid, out_trade_no: 'F1' });
      const done = await view(c.mchid, 'F1');
      assert.deepEqual(
        done.refunds.map((r: any) => [r.cause, r.amount]),
        [['reverse', 1000]],
        'exactly one refund',
      );
      assert.deepEqual(
        (await faults(c.mchid)).map((f: any) => [f.fired, f.remaining]),
        [[1, 0]],
      );
    });

    test('reverse, system_error before commit: nothing happened; the retry performs it', async () => {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'F2'));
      await gw.advance(c.mchid, 16);
      await addFault(c.mchid, { operation: 'reverse', effect: 'system_error', commit: 'before', out_trade_no: 'F2' });
      const err = await refused(reverse(wx, c, 'F2'));
      assert.deepEqual([err.status, err.data.code], [500, 'SYSTEM_ERROR']);
      const untouched = await view(c.mchid, 'F2');
      assert.deepEqual([untouched.state, untouched.refunds.length, untouched.faults_fired[0].commit], ['SUCCESS', 0, 'before']);
      assert.equal((await reverse(wx, c, 'F2')).status, 200);
      const done = await view(c.mchid, 'F2');
      assert.deepEqual([done.state, done.refunds.length], ['REVOKED', 1]);
    });

    test('close, system_error after commit: the retry answers 204; the Tradegate-Fault header does the same for one call', async () => {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      await wx.v3.pay.transactions.native.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'n',
        out_trade_no: 'F3',
        notify_url: 'http://127.0.0.1:9/n',
        amount: { total: 100, currency: 'CNY' },
      });
      await gw.advance(c.mchid, 300);
      await addFault(c.mchid, { operation: 'close', dialect: 'wechatpay-v3', effect: 'system_error' });
      assert.deepEqual([(await refused(close(wx, c, 'F3'))).status, (await view(c.mchid, 'F3')).state], [500, 'CLOSED']);
      assert.equal((await close(wx, c, 'F3')).status, 204, 'a repeat close answers 204');
      // The header: a faulted reverse of another order, one call only.
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'F4'));
      await gw.advance(c.mchid, 16);
      const err = await refused(reverse(wx, c, 'F4', { 'Tradegate-Fault': 'effect=system_error; commit=after' }));
      assert.equal(err.status, 500);
      const v = await view(c.mchid, 'F4');
      assert.deepEqual([v.state, v.faults_fired.map((f: any) => [f.fault_id, f.commit])], ['REVOKED', [[null, 'after']]]);
      assert.equal((await reverse(wx, c, 'F4')).status, 200);
      assert.equal((await view(c.mchid, 'F4')).refunds.length, 1);
    });

    test('timeout with a short delay: the socket closes with no answer after the hold; the reverse took effect', async () => {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      await wx.v3.pay.transactions.codepay.post(codepay(c, 'F5'));
      await gw.advance(c.mchid, 16);
      await addFault(c.mchid, { operation: 'reverse', effect: 'timeout', delay_ms: 300 });
      const started = Date.now();
      const err = await failed(reverse(wx, c, 'F5'));
      assert.equal(err.response, false, 'no HTTP answer at all');
      assert.ok(['ECONNRESET', 'ERR_BAD_RESPONSE', 'ECONNABORTED'].includes(String(err.code)), `transport error ${err.code}`);
      assert.ok(Date.now() - started >= 250, 'held for the delay first');
      assert.equal((await view(c.mchid, 'F5')).state, 'REVOKED');
      // The row lock was not held during the hold, and the connection pool is fine: the retry answers at once.
      assert.equal((await reverse(wx, c, 'F5')).status, 200);
    });

    test('pay and refund, system_error after commit: paid / refunded; the retried refund replays the same refund', async () => {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      await addFault(c.mchid, { operation: 'pay', effect: 'system_error' });
      assert.equal((await refused(wx.v3.pay.transactions.codepay.post(codepay(c, 'F6')))).data.code, 'SYSTEM_ERROR');
      const paid = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: 'F6' });
      assert.equal(paid.data.trade_state, 'SUCCESS', 'the payment happened');
      await addFault(c.mchid, { operation: 'refund', effect: 'drop', out_trade_no: 'F6' });
      const refund = () =>
        wx.v3.refund.domestic.refunds.post({ out_trade_no: 'F6', out_refund_no: 'F6-R', amount: { refund: 300, total: 1000, currency: 'CNY' } });
      assert.equal((await failed(refund())).response, false, 'dropped without an answer');
      const retried = await refund();
      assert.deepEqual([retried.status, retried.data.out_refund_no, retried.data.amount.refund], [200, 'F6-R', 300]);
      assert.deepEqual(
        (await view(c.mchid, 'F6')).refunds.map((r: any) => [r.out_refund_no, r.amount]),
        [['F6-R', 300]],
      );
    });

    test('a refusal is answered as usual and leaves the fault for the next call', async () => {
      const c = await gw.newMerchant();
      const wx = merchantClient(c);
      await addFault(c.mchid, { operation: 'reverse', effect: 'system_error' });
      const missing = await refused(reverse(wx, c, 'NOPE'));
      assert.equal(missing.data.code, 'ORDER_NOT_EXIST');
      assert.deepEqual(
        (await faults(c.mchid)).map((f: any) => f.fired),
        [0],
      );
    });
  });

  describe('APIv3 Global (seed 001: close SYSTEMERROR)', () => {
    test('close, system_error after commit: 500 SYSTEMERROR as the close page spells it; the retry answers ORDERCLOSED', async () => {
      const hk = await gw.newMerchant({ region: 'global', currency: 'HKD' });
      const wx = merchantClient(hk);
      await wx.v3.global.transactions.native.post({
        appid: hk.appid,
        mchid: hk.mchid,
        description: 'g',
        out_trade_no: 'G1',
        notify_url: 'http://127.0.0.1:9/n',
        amount: { total: 1000, currency: 'HKD' },
      });
      await gw.advance(hk.mchid, 300);
      await addFault(hk.mchid, { operation: 'close', dialect: 'wechatpay-global', effect: 'system_error', commit: 'after' });
      const close = () => wx.v3.global.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: hk.mchid }, { out_trade_no: 'G1' });
      const err = await refused(close());
      assert.deepEqual([err.status, err.data], [500, { code: 'SYSTEMERROR', message: '系统错误' }]);
      assert.equal((await view(hk.mchid, 'G1')).state, 'CLOSED');
      const again = await refused(close());
      assert.deepEqual([again.status, again.data.code], [400, 'ORDERCLOSED']);
    });

    test('close, commit before: still NOTPAY; the retry closes (204)', async () => {
      const hk = await gw.newMerchant({ region: 'global', currency: 'HKD' });
      const wx = merchantClient(hk);
      await wx.v3.global.transactions.native.post({
        appid: hk.appid,
        mchid: hk.mchid,
        description: 'g',
        out_trade_no: 'G2',
        notify_url: 'http://127.0.0.1:9/n',
        amount: { total: 1000, currency: 'HKD' },
      });
      await gw.advance(hk.mchid, 300);
      await addFault(hk.mchid, { operation: 'close', effect: 'system_error', commit: 'before' });
      const close = () => wx.v3.global.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: hk.mchid }, { out_trade_no: 'G2' });
      assert.equal((await refused(close())).data.code, 'SYSTEMERROR');
      assert.equal((await view(hk.mchid, 'G2')).state, 'NOTPAY');
      assert.equal((await close()).status, 204);
    });
  });

  describe('APIv2 (seed 002: reverse SYSTEMERROR with recall=Y)', () => {
    const setup = async () => {
      const c = await gw.newMerchant();
      const wx = v2Client(c);
      const id = { appid: c.appid, mch_id: c.mchid };
      return {
        c,
        micropay: (no: string) =>
          wx.v2.pay.micropay.post({ ...id, body: 'coffee', out_trade_no: no, total_fee: '1000', spbill_create_ip: '10.0.0.1', auth_code: PAYS }),
        reverse: (no: string) => wx.v2.secapi.pay.reverse.post({ ...id, out_trade_no: no }, { security: true }),
      };
    };

    test('reverse, system_error after commit: FAIL SYSTEMERROR recall=Y, signed; REVOKED; the retry succeeds with one refund', async () => {
      const { c, micropay, reverse } = await setup();
      await micropay('V1');
      await gw.advance(c.mchid, 16);
      await addFault(c.mchid, { operation: 'reverse', dialect: 'wechatpay-v2', effect: 'system_error' });
      const err = await failed(reverse('V1'));
      assert.deepEqual([err.data.return_code, err.data.result_code, err.data.err_code, err.data.recall], ['SUCCESS', 'FAIL', 'SYSTEMERROR', 'Y']);
      assert.ok(answerSigned(err.data, c.apiV2Key, 'MD5'), 'signed with the merchant key');
      assert.equal((await view(c.mchid, 'V1')).state, 'REVOKED');
      const retry = (await reverse('V1')).data;
      assert.deepEqual([retry.result_code, retry.recall], ['SUCCESS', 'N']);
      assert.equal((await view(c.mchid, 'V1')).refunds.length, 1);
    });

    test('reverse, commit before: still paid; the retry reverses', async () => {
      const { c, micropay, reverse } = await setup();
      await micropay('V2');
      await gw.advance(c.mchid, 16);
      await addFault(c.mchid, { operation: 'reverse', effect: 'system_error', commit: 'before' });
      assert.equal((await failed(reverse('V2'))).data.err_code, 'SYSTEMERROR');
      assert.equal((await view(c.mchid, 'V2')).state, 'SUCCESS');
      assert.equal((await reverse('V2')).data.result_code, 'SUCCESS');
      const v = await view(c.mchid, 'V2');
      assert.deepEqual([v.state, v.refunds.length], ['REVOKED', 1]);
    });

    test('timeout over mutual TLS: no answer, the reverse took effect', async () => {
      const { c, micropay, reverse } = await setup();
      await micropay('V3');
      await gw.advance(c.mchid, 16);
      await addFault(c.mchid, { operation: 'reverse', effect: 'timeout', delay_ms: 200 });
      const err = await failed(reverse('V3'));
      assert.equal(err.response, false);
      assert.equal((await view(c.mchid, 'V3')).state, 'REVOKED');
    });
  });

  describe('PayCloud (seed 000: void 9999)', () => {
    const setup = async () => {
      const c = await gw.newMerchant();
      return { mchid: c.mchid, pc: new PayCloudClient(c.baseUrl, c.paycloud as AppCredentials, 'form') };
    };
    const barcode = (no: string) => ({ merchant_order_no: no, auth_code: PAYS, price_currency: 'CNY', trans_amount: '10.00', description: 'coffee' });

    test('void, system_error after commit: signed 9999, REVOKED; the retry answers 0 and refunds nothing more', async () => {
      const { mchid, pc } = await setup();
      await pc.call('bscanc.pay.submit', barcode('P1'));
      await gw.advance(mchid, 16);
      await addFault(mchid, { operation: 'void', dialect: 'paycloud', effect: 'system_error' });
      const err = await pc.call('order.revoker', { merchant_order_no: 'P1' });
      assertRefused(err, '9999'); // the client has verified the gateway's signature on it
      assert.equal((await view(mchid, 'P1')).state, 'REVOKED');
      assert.equal((await pc.call('order.revoker', { merchant_order_no: 'P1' })).envelope.code, '0');
      assert.deepEqual(
        (await view(mchid, 'P1')).refunds.map((r: any) => [r.cause, r.amount]),
        [['void', 1000]],
      );
    });

    test('void, commit before: the retry voids; drop: no answer at all', async () => {
      const { mchid, pc } = await setup();
      await pc.call('bscanc.pay.submit', barcode('P2'));
      await gw.advance(mchid, 16);
      await addFault(mchid, { operation: 'void', effect: 'system_error', commit: 'before' });
      assert.equal((await pc.call('order.revoker', { merchant_order_no: 'P2' })).envelope.code, '9999');
      assert.equal((await view(mchid, 'P2')).state, 'SUCCESS');
      assert.equal((await pc.call('order.revoker', { merchant_order_no: 'P2' })).envelope.code, '0');
      assert.equal((await view(mchid, 'P2')).refunds.length, 1);

      await pc.call('bscanc.pay.submit', barcode('P3'));
      await addFault(mchid, { operation: 'query', effect: 'drop' });
      await assert.rejects(pc.call('order.query', { merchant_order_no: 'P3' }), (e: any) => /fetch failed|socket|terminated/i.test(String(e?.message ?? e)));
      assert.equal((await pc.call('order.query', { merchant_order_no: 'P3' })).data.trans_status, 2, 'the next query answers');
    });
  });
});
