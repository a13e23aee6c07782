/**
 * Mutual TLS on /secapi/* (wechatpay-v2.md §1.1): which failures are refused at the connection (no HTTP answer)
 * and which as a FAIL answer, and that none of them changes anything.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createCertificateAuthority, issueClientCertificate, sandboxCertificateAuthority } from '../../../src/sandbox/credentials.ts';
import { startGateway } from '../../../src/gateway.ts';
import { postgresOnly, primaryDatabase } from '../../helpers/database.ts';
import { ADMIN_TOKEN, startTestGateway, type Credentials, type TestGateway } from '../../helpers/gateway.ts';
import { failed, postRaw, signedXml, v2Client } from './v2-client.ts';

const database = primaryDatabase();
const PAYS = '134567890123450000';

describe('mutual TLS on /secapi/*', () => {
  let gw: TestGateway;
  let a: Credentials;
  let b: Credentials;
  before(async () => {
    gw = await startTestGateway(database, undefined, { tls: true });
    [a, b] = await Promise.all([gw.newMerchant(), gw.newMerchant()]);
  });
  after(async () => {
    await gw.close();
  });

  /** A paid code payment of `c`, old enough to be reversed. */
  const paidOrder = async (c: Credentials, no: string) => {
    const paid = await v2Client(c).v2.pay.micropay.post({
      appid: c.appid,
      mch_id: c.mchid,
      body: 'b',
      out_trade_no: no,
      total_fee: '100',
      spbill_create_ip: '10.0.0.1',
      auth_code: PAYS,
    });
    assert.equal(paid.data.result_code, 'SUCCESS');
    await gw.advance(c.mchid, 16);
  };
  const snapshot = async (c: Credentials, no: string) => (await gw.admin('GET', `/sandbox/merchants/${c.mchid}/orders/${no}`)).body;
  const reverseWith = (c: Credentials, identity: Parameters<typeof v2Client>[1], no: string) =>
    v2Client(c, identity).v2.secapi.pay.reverse.post({ appid: c.appid, mch_id: c.mchid, out_trade_no: no }, { security: true });

  test('the credentials JSON carries the client certificate (CN = mchid), its PKCS#12, the CA and the HTTPS URL', async () => {
    const cert = new X509Certificate(String(a.apiV2ClientCertificatePem));
    assert.match(cert.subject, new RegExp(`^CN=${a.mchid}$`, 'm'));
    const ca = new X509Certificate(String(a.caCertificatePem));
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
    assert.equal(a.caCertificatePem, b.caCertificatePem, 'one CA for every merchant');
    assert.equal(a.caCertificatePem, (await sandboxCertificateAuthority(gw.store)).certPem, 'the gateway-wide secret');
    assert.match(String(a.apiV2ClientP12Base64), /^[A-Za-z0-9+/]+=*$/);
    assert.equal(a.httpsBaseUrl, gw.httpsBaseUrl);
    const sp = await gw.newMerchant({ mode: 'service_provider' });
    assert.match(new X509Certificate(String(sp.apiV2ClientCertificatePem)).subject, new RegExp(`CN=${sp.mchid}`));
  });

  test('PEM and PKCS#12 client certificates both reverse', async () => {
    await paidOrder(a, 'T1');
    assert.equal((await reverseWith(a, 'p12', 'T1')).data.result_code, 'SUCCESS');
    await paidOrder(a, 'T2');
    assert.equal((await reverseWith(a, 'pem', 'T2')).data.recall, 'N');
  });

  test('no client certificate → the connection is dropped without an answer; nothing changes', async () => {
    await paidOrder(a, 'T3');
    const before = await snapshot(a, 'T3');
    const res = await failed(reverseWith(a, 'none', 'T3'));
    assert.equal(res.response, false);
    assert.match(String(res.code), /ECONNRESET|EPIPE|ERR_SSL|ECONNABORTED/);
    assert.deepEqual(await snapshot(a, 'T3'), before);
  });

  test('a certificate from another CA, even with the right CN → dropped; nothing changes', async () => {
    await paidOrder(a, 'T4');
    const before = await snapshot(a, 'T4');
    const rogue = await issueClientCertificate(await createCertificateAuthority(), a.mchid);
    const res = await failed(reverseWith(a, { cert: rogue.certPem, key: rogue.keyPem }, 'T4'));
    assert.equal(res.response, false);
    assert.deepEqual(await snapshot(a, 'T4'), before);
  });

  test("another merchant's valid certificate → FAIL 证书与商户号不匹配; nothing changes", async () => {
    await paidOrder(a, 'T5');
    const before = await snapshot(a, 'T5');
    const res = await failed(reverseWith(a, { cert: String(b.apiV2ClientCertificatePem), key: String(b.apiV2ClientKeyPem) }, 'T5'));
    assert.deepEqual(res.data, { return_code: 'FAIL', return_msg: '证书与商户号不匹配' });
    const refund = await failed(
      v2Client(a, { cert: String(b.apiV2ClientCertificatePem), key: String(b.apiV2ClientKeyPem) }).v2.secapi.pay.refund.post(
        {
          appid: a.appid,
          mch_id: a.mchid,
          out_trade_no: 'T5',
          out_refund_no: 'R5',
          total_fee: '100',
          refund_fee: '1',
        },
        { security: true },
      ),
    );
    assert.equal(refund.data.return_msg, '证书与商户号不匹配');
    assert.deepEqual(await snapshot(a, 'T5'), before);
  });

  test('a bad sign over mTLS → FAIL 签名错误; nothing changes', async () => {
    await paidOrder(a, 'T6');
    const before = await snapshot(a, 'T6');
    const body = signedXml({ appid: a.appid, mch_id: a.mchid, nonce_str: 'n1', out_trade_no: 'T6' }, String(b.apiV2Key));
    const tls = { ca: String(a.caCertificatePem), cert: String(a.apiV2ClientCertificatePem), key: String(a.apiV2ClientKeyPem) };
    const res = await postRaw(new URL('/secapi/pay/reverse', String(a.httpsBaseUrl)).toString(), body, { tls });
    assert.deepEqual(res.params, { return_code: 'FAIL', return_msg: '签名错误' });
    assert.deepEqual(await snapshot(a, 'T6'), before);
  });

  test('over plain HTTP /secapi/* is refused naming the HTTPS port; other paths need no certificate', async () => {
    await paidOrder(a, 'T7');
    const before = await snapshot(a, 'T7');
    const body = signedXml({ appid: a.appid, mch_id: a.mchid, nonce_str: 'n2', out_trade_no: 'T7' }, a.apiV2Key);
    const res = await postRaw(new URL('/secapi/pay/reverse', a.baseUrl).toString(), body);
    assert.equal(res.params.return_code, 'FAIL');
    assert.ok(res.params.return_msg!.includes(new URL(String(a.httpsBaseUrl)).port), res.params.return_msg);
    assert.deepEqual(await snapshot(a, 'T7'), before);
    const query = await v2Client(a, 'none').v2.pay.orderquery.post({ appid: a.appid, mch_id: a.mchid, out_trade_no: 'T7' });
    assert.equal(query.data.trade_state, 'SUCCESS', 'HTTPS without a client certificate serves the other paths');
  });
});

describe('--allow-insecure-secapi', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(database, undefined, { allowInsecureSecapi: true });
  });
  after(async () => {
    await gw.close();
  });

  test('serves /secapi/* over plain HTTP without a certificate', async () => {
    const c = await gw.newMerchant();
    const id = { appid: c.appid, mch_id: c.mchid };
    const url = (path: string) => new URL(path, c.baseUrl).toString();
    await postRaw(
      url('/pay/micropay'),
      signedXml({ ...id, nonce_str: 'a', body: 'b', out_trade_no: 'I1', total_fee: '5', spbill_create_ip: '1.1.1.1', auth_code: PAYS }, c.apiV2Key),
    );
    await gw.advance(c.mchid, 16);
    const res = await postRaw(url('/secapi/pay/reverse'), signedXml({ ...id, nonce_str: 'b', out_trade_no: 'I1' }, c.apiV2Key));
    assert.deepEqual([res.params.result_code, res.params.recall], ['SUCCESS', 'N']);
  });
});

describe('one CA for every gateway process on a database (PostgreSQL)', { skip: postgresOnly() === null }, () => {
  test('two gateways on one schema hand out certificates from the same CA and each trusts the other’s', async () => {
    const db = postgresOnly()!;
    const store = await db.storeOptions();
    const start = () => startGateway({ host: '127.0.0.1', port: 0, tlsPort: 0, store, adminToken: ADMIN_TOKEN, logLevel: false });
    const [one, two] = [await start(), await start()];
    try {
      const create = async (base: string) =>
        (await (
          await fetch(new URL('/sandbox/merchants', base), {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: '{}',
          })
        ).json()) as Credentials;
      const c1 = await create(one.baseUrl);
      const c2 = await create(two.baseUrl);
      assert.equal(c1.caCertificatePem, c2.caCertificatePem);
      const onOther = await v2Client({ ...c1, httpsBaseUrl: two.httpsBaseUrl })
        .v2.pay.orderquery.post({ appid: c1.appid, mch_id: c1.mchid, out_trade_no: 'none' })
        .catch((err: any) => err.response);
      assert.equal(onOther.data.err_code, 'ORDERNOTEXIST');
    } finally {
      await one.close();
      await two.close();
      await db.cleanup();
    }
  });
});
