/**
 * What arrives on the APIv2 wire, byte for byte (wechatpay-v2.md §1–§4): both algorithms, compact and
 * pretty-printed bodies without a Content-Type, the return-level refusals (unsigned, nothing echoed), and hostile
 * XML refused before anything is read or written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { primaryDatabase } from '../../helpers/database.ts';
import { startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { answerSigned, postRaw, signedXml } from './v2-client.ts';

const database = primaryDatabase();
const secretDir = mkdtempSync(join(tmpdir(), 'tradegate-xxe-'));
const secretFile = join(secretDir, 'secret.txt');
writeFileSync(secretFile, 'TOP-SECRET-FILE-CONTENT');

describe('APIv2 wire format', () => {
  let gw: TestGateway;
  let c: Credentials;
  before(async () => {
    gw = await startTestGateway(database);
    c = await gw.newMerchant();
  });
  after(async () => {
    await gw.close();
    rmSync(secretDir, { recursive: true, force: true });
  });

  const url = (path: string) => new URL(path, c.baseUrl).toString();
  const common = () => ({ appid: c.appid, mch_id: c.mchid, nonce_str: `n${Date.now()}${Math.random().toString(36).slice(2, 8)}` });
  const micropayParams = (no: string) => ({
    ...common(),
    body: 'tea',
    out_trade_no: no,
    total_fee: '88',
    spbill_create_ip: '10.0.0.1',
    auth_code: '134567890123450000',
  });
  const historyOf = async (no: string) => (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/${no}`)).body;
  const assertReturnFail = (params: Record<string, string>, msg: string | RegExp) => {
    assert.equal(params.return_code, 'FAIL');
    if (typeof msg === 'string') assert.equal(params.return_msg, msg);
    else assert.match(params.return_msg ?? '', msg);
    assert.deepEqual(Object.keys(params).sort(), ['return_code', 'return_msg'], 'a return-level FAIL carries nothing else, no sign');
  };

  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    for (const layout of ['compact', 'pretty'] as const) {
      test(`${signType}, ${layout}, no Content-Type: micropay and orderquery answer signed with ${signType}`, async () => {
        const no = `W${signType === 'MD5' ? 'M' : 'H'}${layout[0]}`;
        const paid = await postRaw(url('/pay/micropay'), signedXml(micropayParams(no), c.apiV2Key, signType, layout));
        assert.equal(paid.status, 200);
        assert.equal(paid.contentType, 'text/xml; charset=utf-8');
        assert.doesNotMatch(paid.text, /^<\?xml/, 'no declaration in answers');
        assert.match(paid.text, /<total_fee>88<\/total_fee>/, 'integers bare');
        assert.match(paid.text, /<out_trade_no><!\[CDATA\[/, 'strings in CDATA');
        assert.equal(paid.params.result_code, 'SUCCESS', paid.text);
        assert.equal(paid.params.sign!.length, signType === 'MD5' ? 32 : 64);
        assert.ok(answerSigned(paid.params, c.apiV2Key, signType));
        assert.equal(paid.params.sign_type, undefined, 'answers do not name the algorithm');
        const query = await postRaw(url('/pay/orderquery'), signedXml({ ...common(), out_trade_no: no }, c.apiV2Key, signType, layout));
        assert.equal(query.params.trade_state, 'SUCCESS');
        assert.ok(answerSigned(query.params, c.apiV2Key, signType));
      });
    }
  }

  test('any Content-Type is accepted; appid, mch_id and device_info are echoed byte for byte', async () => {
    const device = 'POS <7> & "front"';
    const body = signedXml({ ...micropayParams('WE1'), device_info: device }, c.apiV2Key).replace(
      `<device_info>${device}</device_info>`,
      '<device_info>POS &lt;7&gt; &amp; &quot;front&quot;</device_info>',
    );
    const res = await postRaw(url('/pay/micropay'), body, { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual([res.params.appid, res.params.mch_id, res.params.device_info], [c.appid, c.mchid, device]);
    assert.ok(answerSigned(res.params, c.apiV2Key, 'MD5'));
  });

  test('a bad sign → FAIL 签名错误, unsigned, and nothing changes', async () => {
    const created = await postRaw(
      url('/pay/unifiedorder'),
      signedXml(
        {
          ...common(),
          body: 'b',
          out_trade_no: 'WS1',
          total_fee: '10',
          spbill_create_ip: '1.1.1.1',
          notify_url: 'http://127.0.0.1:9/n',
          trade_type: 'APP',
        },
        c.apiV2Key,
      ),
    );
    assert.equal(created.params.result_code, 'SUCCESS');
    await gw.advance(c.mchid, 301);
    const before = await historyOf('WS1');
    const forged = signedXml({ ...common(), out_trade_no: 'WS1' }, 'x'.repeat(32));
    assertReturnFail((await postRaw(url('/pay/closeorder'), forged)).params, '签名错误');
    const tampered = signedXml({ ...common(), out_trade_no: 'WS1' }, c.apiV2Key).replace('WS1', 'WS2');
    assertReturnFail((await postRaw(url('/pay/closeorder'), tampered)).params, '签名错误');
    assert.deepEqual(await historyOf('WS1'), before);
    const closed = await postRaw(url('/pay/closeorder'), signedXml({ ...common(), out_trade_no: 'WS1' }, c.apiV2Key));
    assert.equal(closed.params.result_code, 'SUCCESS', 'the same request, correctly signed, closes');
  });

  test('return-level refusals: method, empty, unknown mch_id, nonce_str, sign_type, size, encoding, structure', async () => {
    const good = signedXml({ ...common(), out_trade_no: 'nope' }, c.apiV2Key);
    assertReturnFail((await postRaw(url('/pay/orderquery'), '', { method: 'GET' })).params, '请使用post方法');
    assertReturnFail((await postRaw(url('/pay/orderquery'), good, { method: 'PUT' })).params, '请使用post方法');
    assertReturnFail((await postRaw(url('/pay/orderquery'), '')).params, 'post数据为空');
    assertReturnFail((await postRaw(url('/pay/orderquery'), '  \n ')).params, 'post数据为空');
    assertReturnFail((await postRaw(url('/pay/orderquery'), signedXml({ ...common(), mch_id: '1234567', out_trade_no: 'x' }, c.apiV2Key))).params, /mch_id/);
    const noNonce = signedXml({ appid: c.appid, mch_id: c.mchid, out_trade_no: 'x' }, c.apiV2Key);
    assertReturnFail((await postRaw(url('/pay/orderquery'), noNonce)).params, '参数格式校验错误');
    const sha1 = good.replace('</xml>', '<sign_type>HMAC-SHA1</sign_type></xml>');
    assertReturnFail((await postRaw(url('/pay/orderquery'), sha1)).params, '签名类型错误');
    const huge = good.replace('</xml>', `<attach>${'a'.repeat(70 * 1024)}</attach></xml>`);
    assertReturnFail((await postRaw(url('/pay/orderquery'), huge)).params, '请求体过大');
    const latin1 = Buffer.concat([Buffer.from('<xml><body>'), Buffer.from([0xc3, 0x28]), Buffer.from('</body></xml>')]);
    assertReturnFail((await postRaw(url('/pay/orderquery'), latin1)).params, '编码格式错误');
    assertReturnFail((await postRaw(url('/pay/orderquery'), '<xml><a><b>1</b></a></xml>')).params, 'XML格式错误');
    assertReturnFail((await postRaw(url('/pay/orderquery'), 'appid=wx&mch_id=1')).params, 'XML格式错误');
    const twice = good.replace('</xml>', `<mch_id>${c.mchid}</mch_id></xml>`);
    assertReturnFail((await postRaw(url('/pay/orderquery'), twice)).params, '参数格式校验错误');
    const oddType = await postRaw(url('/pay/orderquery'), good, { headers: { 'content-type': 'text/xml;;;=' } });
    assert.equal(oddType.params.err_code, 'ORDERNOTEXIST', 'even a malformed Content-Type is ignored');
  });

  test('an XXE payload and an entity bomb are refused fast, with nothing read from disk', async () => {
    const xxe =
      `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://${secretFile}">]>` +
      `<xml><appid>${c.appid}</appid><mch_id>${c.mchid}</mch_id><nonce_str>n</nonce_str><out_trade_no>&xxe;</out_trade_no><sign>X</sign></xml>`;
    const lol = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)].join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE xml [${lol}]><xml><appid>&lol9;</appid></xml>`;
    for (const payload of [xxe, bomb]) {
      const started = performance.now();
      const res = await postRaw(url('/pay/orderquery'), payload);
      assert.ok(performance.now() - started < 500, 'refused without expanding anything');
      assertReturnFail(res.params, 'XML格式错误');
      assert.doesNotMatch(res.text, /TOP-SECRET|lol/);
    }
  });

  test('after authentication: identity and business-parameter refusals are signed result-level answers', async () => {
    const wrongAppid = await postRaw(url('/pay/orderquery'), signedXml({ ...common(), appid: 'wx0000000000000000', out_trade_no: 'x' }, c.apiV2Key));
    assert.deepEqual([wrongAppid.params.return_code, wrongAppid.params.err_code], ['SUCCESS', 'APPID_MCHID_NOT_MATCH']);
    assert.equal(wrongAppid.params.appid, 'wx0000000000000000', 'echoed as sent');
    assert.ok(answerSigned(wrongAppid.params, c.apiV2Key, 'MD5'));
    const { auth_code: _, ...noCode } = micropayParams('WP1');
    const missing = await postRaw(url('/pay/micropay'), signedXml(noCode, c.apiV2Key, 'HMAC-SHA256'));
    assert.deepEqual([missing.params.err_code, missing.params.err_code_des], ['PARAM_ERROR', '缺少参数auth_code']);
    assert.ok(answerSigned(missing.params, c.apiV2Key, 'HMAC-SHA256'));
    const badCode = await postRaw(url('/pay/micropay'), signedXml({ ...micropayParams('WP2'), auth_code: '990000000000000000' }, c.apiV2Key));
    assert.equal(badCode.params.err_code, 'AUTH_CODE_INVALID');
    assert.equal((await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/WP2`)).status, 404, 'no order for a malformed code');
    const badFee = await postRaw(url('/pay/micropay'), signedXml({ ...micropayParams('WP3'), total_fee: '1.5' }, c.apiV2Key));
    assert.deepEqual([badFee.params.err_code, badFee.params.err_code_des], ['PARAM_ERROR', 'total_fee必须为正整数（单位为分）']);
    const notFound = await postRaw(url('/pay/orderquery'), signedXml({ ...common(), out_trade_no: 'NOPE' }, c.apiV2Key));
    assert.equal(notFound.params.err_code, 'ORDERNOTEXIST');
    const replayConflict = await postRaw(url('/pay/micropay'), signedXml({ ...micropayParams('WMc'), total_fee: '89' }, c.apiV2Key));
    assert.equal(replayConflict.params.err_code, 'ORDERPAID', 'the number of a paid order cannot be paid again');
  });
});
