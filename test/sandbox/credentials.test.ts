import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import {
  createCertificateAuthority,
  generateMerchantKeys,
  issueClientCertificate,
  issueServerCertificate,
  normalizeSerial,
} from '../../src/sandbox/credentials.ts';

const mchid = '1900000109';
const appid = 'wxd678efh567hg6787';

// Generated once: RSA-2048 key generation dominates the run time.
const secretsPromise = generateMerchantKeys({ mchid, appid });
const caPromise = createCertificateAuthority();

function signsAndVerifies(privateKeyPem: string, publicPem: string): boolean {
  const message = Buffer.from('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n');
  const signature = sign('sha256', message, createPrivateKey(privateKeyPem));
  return verify('sha256', message, createPublicKey(publicPem), signature);
}

function yearsBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / (365.25 * 24 * 3600_000);
}

test('normalizeSerial compares serials as hex numbers', () => {
  assert.equal(normalizeSerial('00d7ce59d1f522d701'), 'D7CE59D1F522D701');
  assert.equal(normalizeSerial('1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C'), '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C');
  assert.equal(normalizeSerial('0abc'), 'ABC');
  assert.equal(normalizeSerial(' 5157f09efdc096de '), '5157F09EFDC096DE');
  assert.equal(normalizeSerial('000'), '0');
});

test('generateMerchantKeys: API keys and key formats', async () => {
  const s = await secretsPromise;
  assert.match(s.apiV2Key, /^[0-9a-zA-Z]{32}$/);
  assert.match(s.apiV3Key, /^[0-9a-zA-Z]{32}$/);
  assert.notEqual(s.apiV2Key, s.apiV3Key);
  // The APIv3 key's ASCII bytes are an AES-256-GCM key.
  assert.doesNotThrow(() => createCipheriv('aes-256-gcm', Buffer.from(s.apiV3Key, 'utf8'), Buffer.from('61f9c719728a')));
  for (const pem of [s.merchantPrivateKeyPem, s.platformPrivateKeyPem, s.platformPublicKeyPrivatePem]) {
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  }
  assert.match(s.platformPublicKeyId, /^PUB_KEY_ID_\d{32}$/);
  assert.match(s.platformPublicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
  // Three independent key pairs.
  assert.equal(new Set([s.merchantPrivateKeyPem, s.platformPrivateKeyPem, s.platformPublicKeyPrivatePem]).size, 3);
});

test('generateMerchantKeys: every private key signs what its public half verifies', async () => {
  const s = await secretsPromise;
  assert.ok(signsAndVerifies(s.merchantPrivateKeyPem, s.merchantCertificatePem));
  assert.ok(signsAndVerifies(s.platformPrivateKeyPem, s.platformCertificatePem));
  assert.ok(signsAndVerifies(s.platformPublicKeyPrivatePem, s.platformPublicKeyPem));
  assert.ok(!signsAndVerifies(s.merchantPrivateKeyPem, s.platformCertificatePem));
  assert.ok(!signsAndVerifies(s.platformPrivateKeyPem, s.platformPublicKeyPem));
});

test('generateMerchantKeys: certificates parse and their serials are the listed ones', async () => {
  const s = await secretsPromise;
  const merchant = new X509Certificate(s.merchantCertificatePem);
  const platform = new X509Certificate(s.platformCertificatePem);
  assert.equal(normalizeSerial(merchant.serialNumber), s.merchantSerialNo);
  assert.equal(normalizeSerial(platform.serialNumber), s.platformSerialNo);
  for (const serial of [s.merchantSerialNo, s.platformSerialNo]) {
    // Upper-case hex, no leading zero, positive 20-byte serial: 40 digits.
    assert.match(serial, /^[1-9A-F][0-9A-F]{39}$/);
  }
  assert.notEqual(s.merchantSerialNo, s.platformSerialNo);
  assert.ok(merchant.checkPrivateKey(createPrivateKey(s.merchantPrivateKeyPem)));
  assert.ok(platform.checkPrivateKey(createPrivateKey(s.platformPrivateKeyPem)));
  assert.match(merchant.subject, new RegExp(`^CN=${mchid}$`, 'm'));
  assert.match(merchant.subject, /^O=tradegate sandbox$/m);
  assert.equal(merchant.ca, false);
  const years = yearsBetween(merchant.validFrom, merchant.validTo);
  assert.ok(years > 4.99 && years < 5.01, `validity ${years} years`);
  assert.ok(Date.parse(merchant.validFrom) <= Date.now());
});

test('sandbox CA: self-signed CA certificate, 10 years', async () => {
  const ca = await caPromise;
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.ca, true);
  assert.match(cert.subject, /^CN=tradegate sandbox CA$/m);
  assert.ok(cert.verify(cert.publicKey));
  assert.ok(cert.checkPrivateKey(createPrivateKey(ca.keyPem)));
  const years = yearsBetween(cert.validFrom, cert.validTo);
  assert.ok(years > 9.99 && years < 10.01, `validity ${years} years`);
});

test('server certificate: SANs and issued by the CA', async () => {
  const ca = await caPromise;
  const server = await issueServerCertificate(ca, ['gateway.test', '10.0.0.7']);
  const cert = new X509Certificate(server.certPem);
  const caCert = new X509Certificate(ca.certPem);
  assert.ok(cert.checkIssued(caCert));
  assert.ok(cert.verify(caCert.publicKey));
  assert.equal(cert.ca, false);
  assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.1'));
  for (const san of ['DNS:localhost', 'IP Address:127.0.0.1', 'DNS:gateway.test', 'IP Address:10.0.0.7']) {
    assert.ok(cert.subjectAltName?.includes(san), `${san} in ${cert.subjectAltName}`);
  }
});

test('client certificate: CN = mchid, clientAuth, PKCS#12 loads in Node', async () => {
  const ca = await caPromise;
  const client = await issueClientCertificate(ca, mchid);
  const cert = new X509Certificate(client.certPem);
  assert.match(cert.subject, new RegExp(`^CN=${mchid}$`, 'm'));
  assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
  assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'));
  assert.ok(cert.checkPrivateKey(createPrivateKey(client.keyPem)));
  // OpenSSL 3 default provider: fails with "Unsupported PKCS12 PFX data" for RC2-40 files.
  assert.doesNotThrow(() => tls.createSecureContext({ pfx: Buffer.from(client.p12Base64, 'base64'), passphrase: mchid }));
  assert.throws(() => tls.createSecureContext({ pfx: Buffer.from(client.p12Base64, 'base64'), passphrase: 'wrong' }));
});

interface Handshake {
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  readonly cn: string | null;
}

/** One TLS handshake against a server that asks for (but does not require) a client certificate. */
async function handshake(ca: { certPem: string; keyPem: string }, client: tls.ConnectionOptions): Promise<Handshake> {
  const serverCert = await issueServerCertificate(ca, []);
  const server = tls.createServer({
    cert: serverCert.certPem,
    key: serverCert.keyPem,
    ca: [ca.certPem],
    requestCert: true,
    // Optional at handshake so plain paths work; /secapi/* decides from socket.authorized (v2 spec §1.1).
    rejectUnauthorized: false,
  });
  const seen = new Promise<Handshake>((resolve) => {
    server.once('secureConnection', (socket) => {
      const peer = socket.getPeerCertificate();
      resolve({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
        cn: peer?.subject ? String(peer.subject.CN) : null,
      });
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const socket = tls.connect({ host: '127.0.0.1', port, ca: [ca.certPem], ...client });
    // The client verifies the server too (IP SAN 127.0.0.1); an error here fails the test.
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    assert.equal(socket.authorized, true);
    const result = await seen;
    socket.destroy();
    return result;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('mutual TLS: the PKCS#12 client certificate chains to the CA and names the merchant', async () => {
  const ca = await caPromise;
  const client = await issueClientCertificate(ca, mchid);
  const result = await handshake(ca, { pfx: Buffer.from(client.p12Base64, 'base64'), passphrase: mchid });
  assert.deepEqual(result, { authorized: true, authorizationError: null, cn: mchid });
});

test('mutual TLS: a certificate from elsewhere, or none, is not authorized', async () => {
  const ca = await caPromise;
  const s = await secretsPromise;
  const foreign = await handshake(ca, { cert: s.merchantCertificatePem, key: s.merchantPrivateKeyPem });
  assert.equal(foreign.authorized, false);
  assert.equal(foreign.cn, mchid);
  assert.ok(foreign.authorizationError);
  const none = await handshake(ca, {});
  assert.equal(none.authorized, false);
  assert.equal(none.cn, null);
});
