/**
 * Notification helpers: a real notification from tradegate's worker (APIv3, paid native order) opens with the
 * merchant's keys and fails with anyone else's; the APIv2 refund vector of the spec decrypts; PayCloud
 * notifications verify with the gateway key.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { NotificationError, openPayCloudNotification, openV2PayNotification, openV2RefundNotification, openV3Notification } from '../src/index.ts';
import { signV2 } from '../src/dialects/wechatpay-v2.ts';
import { signingString } from '../src/dialects/paycloud.ts';
import { flatXml } from '../src/xml.ts';
import { merchantClient } from '../../test/helpers/gateway.ts';
import { startWorld, type World } from './support/world.ts';

let world: World;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world.close();
});

test("APIv3: the gateway worker's TRANSACTION.SUCCESS verifies and decrypts; a wrong key or a probe is refused", async () => {
  const c = (await world.gw.newMerchant()) as any;
  const got = new Promise<{ headers: Record<string, string>; body: string }>((resolve) => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.writeHead(204).end();
        server.close();
        resolve({ headers: req.headers as Record<string, string>, body });
      });
    }).listen(0, '127.0.0.1', async () => {
      const port = (server.address() as { port: number }).port;
      await merchantClient(c).v3.pay.transactions.native.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'n',
        out_trade_no: 'N1',
        notify_url: `http://127.0.0.1:${port}/notify`,
        amount: { total: 100, currency: 'CNY' },
      });
      await world.gw.admin('POST', `/sandbox/merchants/${c.mchid}/orders/N1/pay`);
    });
  });
  const { headers, body } = await got;
  const keys = { apiV3Key: c.apiV3Key, platformKeys: { [c.platformSerialNo]: c.platformCertificatePem, [c.platformPublicKeyId]: c.platformPublicKeyPem } };
  const opened = openV3Notification(headers, body, keys);
  assert.equal(opened.event.event_type, 'TRANSACTION.SUCCESS');
  assert.equal(opened.resource.out_trade_no, 'N1');
  assert.equal(opened.resource.trade_state, 'SUCCESS');
  assert.throws(() => openV3Notification(headers, body, { ...keys, apiV3Key: 'k'.repeat(32) }), NotificationError);
  assert.throws(() => openV3Notification(headers, body.replace('"id"', '"id" '), keys), /bad signature/);
  assert.throws(() => openV3Notification({ ...headers, 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc' }, body, keys), /probe/);
});

test("APIv2: a signed pay notification verifies (MD5 and HMAC-SHA256); the spec's refund req_info decrypts", () => {
  const key = '192006250b4c09247ec02edce69f6a2d';
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const p: Record<string, string> = { return_code: 'SUCCESS', appid: 'wx1', mch_id: '1', out_trade_no: 'A', ...(type === 'MD5' ? {} : { sign_type: type }) };
    p.sign = signV2(p, key, type);
    assert.equal(openV2PayNotification(flatXml(p), key).out_trade_no, 'A');
    assert.throws(() => openV2PayNotification(flatXml({ ...p, out_trade_no: 'B' }), key), /bad sign/);
  }
  // wechatpay-v2 spec §8.2 (derived vector).
  const reqInfo =
    'WBzGpzQuNpcFxIlFjUUD9BfnwwNUlVAs7bwvgHME4/QkreGFkEmfsl6yfO9gIC7hEzEQIOaZs9EYO4DOrifmCRYlj0HSKB+gKdjJchMaqd95xSi6GXW4jpxoab571C/sOcKr/e7RWL1s5iSUuEU8AmIujMJ1h2zkNN3cfkkqWpA=';
  const refund = openV2RefundNotification(flatXml({ return_code: 'SUCCESS', req_info: reqInfo }), key);
  assert.equal(refund.out_refund_no, 'R20240101001');
  assert.equal(refund.refund_status, 'SUCCESS');
  // And our own encryption of another inner document, with the rule of §8.2.
  const aes = createCipheriv('aes-256-ecb', Buffer.from(createHash('md5').update(key).digest('hex')), null);
  const ct = Buffer.concat([aes.update('<root><out_refund_no>X</out_refund_no></root>'), aes.final()]).toString('base64');
  assert.equal(openV2RefundNotification(flatXml({ return_code: 'SUCCESS', req_info: ct }), key).out_refund_no, 'X');
  assert.throws(() => openV2RefundNotification(flatXml({ return_code: 'SUCCESS', req_info: ct }), 'y'.repeat(32)), NotificationError);
});

test('PayCloud: a flat JSON notification verifies with the gateway key, not with another', () => {
  const gw = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = gw.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const n: Record<string, unknown> = {
    app_id: 'wz1',
    merchant_no: '1',
    trans_no: '20260101000000000001',
    trans_status: 2,
    trans_amount: 18.5,
    sign_type: 'RSA2',
  };
  const flat = Object.fromEntries(Object.entries(n).map(([k, v]) => [k, String(v)]));
  n.sign = sign('sha256', Buffer.from(signingString(flat)), createPrivateKey(gw.privateKey.export({ type: 'pkcs8', format: 'pem' }))).toString('base64');
  assert.equal(openPayCloudNotification(JSON.stringify(n), spki).trans_no, '20260101000000000001');
  assert.throws(() => openPayCloudNotification(JSON.stringify({ ...n, trans_amount: 99 }), spki), /bad signature/);
});
