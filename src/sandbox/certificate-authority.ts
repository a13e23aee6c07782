/**
 * The sandbox's X.509 machinery: RSA key pairs, a private CA for mutual TLS on APIv2 `/secapi/*`, and the
 * server/client certificates it issues (wechatpay-v2 spec §1.1). node-forge lays out the certificates and writes
 * PKCS#12 (Node can do neither); the RSA work itself runs in Node's thread pool, because forge's pure-JS RSA
 * blocks the event loop for ~70 ms per signature. (@peculiar/x509 would need a reflect-metadata polyfill.)
 */
import { createPrivateKey, generateKeyPair, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);
const signAsync = promisify(sign);

export interface KeyPairPem {
  /** PKCS#8, "-----BEGIN PRIVATE KEY-----". */
  readonly privateKeyPem: string;
  /** SPKI, "-----BEGIN PUBLIC KEY-----". */
  readonly publicKeyPem: string;
}

export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClientCertificate extends IssuedCertificate {
  /** PKCS#12 (password = mchid): the file merchants' HTTP clients are configured with. */
  readonly p12Base64: string;
}

/** Hex serials compare as numbers (v3 spec §2.1): upper-case, leading zeros dropped ("00d7…" ≡ "D7…"). */
export function normalizeSerial(hex: string): string {
  const upper = hex.trim().toUpperCase().replace(/^0+/, '');
  return upper === '' ? '0' : upper;
}

/** RSA-2048 in libuv's thread pool: three of these per merchant would stall the event loop if run synchronously. */
export async function generateRsaKeyPair(): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * A random positive 20-byte serial (RFC 5280's maximum). The first byte is kept in 0x10–0x7F: clear top bit so
 * the DER integer needs no 0x00 pad, non-zero high nibble so every parser prints the same 40 hex digits — the
 * serial string must be byte-identical wherever clients read it (v3 spec §3).
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(20);
  bytes[0] = 0x10 + (bytes[0] % 0x70);
  return bytes.toString('hex').toUpperCase();
}

/** The serial as clients read it: from the parsed certificate, so the string can never drift from the DER. */
export function serialOf(certPem: string): string {
  return normalizeSerial(new X509Certificate(certPem).serialNumber);
}

/** X.509 stores whole seconds; dropping milliseconds keeps the dates we report equal to the parsed ones. */
function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** Backdated a few minutes so a peer whose clock runs slightly behind does not see "not yet valid". */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A forge extension object (forge fills in the DER from these fields). */
export type ExtensionSpec = Record<string, unknown> & { name: string };

export interface CertificateRequest {
  /** Subject attributes in order, e.g. [['CN', '1900000001'], ['O', 'tradegate sandbox']]. */
  readonly subject: ReadonlyArray<readonly [string, string]>;
  readonly publicKeyPem: string;
  readonly years: number;
  readonly extensions: ExtensionSpec[];
  /** The issuing CA; absent: self-signed with `selfKeyPem`. */
  readonly issuer?: CertificateAuthority;
  readonly selfKeyPem?: string;
}

/** forge exports this, its typings do not. */
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

/** Builds and signs one certificate (SHA256withRSA); AKI/SKI let chain building match keys, not just names. */
export async function signCertificate(req: CertificateRequest): Promise<string> {
  const signerPem = req.issuer?.keyPem ?? req.selfKeyPem;
  if (!signerPem) throw new TypeError('signCertificate needs an issuer or selfKeyPem');
  const issuerCert = req.issuer ? forge.pki.certificateFromPem(req.issuer.certPem) : null;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(req.publicKeyPem);
  cert.serialNumber = randomSerialHex();
  const now = Date.now();
  cert.validity.notBefore = wholeSeconds(now - CLOCK_SKEW_MS);
  cert.validity.notAfter = wholeSeconds(now);
  cert.validity.notAfter.setUTCFullYear(cert.validity.notAfter.getUTCFullYear() + req.years);
  // UTF8String, as RFC 5280 asks of new certificates (forge defaults to PrintableString).
  const subject = req.subject.map(([shortName, value]) => ({ shortName, value, valueTagClass: forge.asn1.Type.UTF8 as number }));
  cert.setSubject(subject);
  // The CA's own parsed name, so issuer and CA subject encode identically.
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  const authorityKeyId = issuerCert ? issuerCert.generateSubjectKeyIdentifier().getBytes() : true;
  cert.setExtensions([...req.extensions, { name: 'subjectKeyIdentifier' }, { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId }]);
  // What forge's cert.sign does, except that the RSA operation runs natively and off the event loop.
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  cert.tbsCertificate = getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = (await signAsync('sha256', tbsDer, createPrivateKey(signerPem))).toString('binary');
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** The sandbox merchant CA: the trust anchor for `/secapi/*` client certificates and the HTTPS listener. */
export async function createCertificateAuthority(): Promise<CertificateAuthority> {
  const keys = await generateRsaKeyPair();
  const certPem = await signCertificate({
    subject: [
      ['CN', 'tradegate sandbox CA'],
      ['O', 'tradegate sandbox'],
    ],
    publicKeyPem: keys.publicKeyPem,
    years: 10,
    selfKeyPem: keys.privateKeyPem,
    extensions: [
      // pathLen 0: this CA only ever signs leaf certificates.
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

/** GeneralName tags (RFC 5280): 2 = dNSName, 7 = iPAddress. */
function altName(name: string): Record<string, unknown> {
  return isIP(name) ? { type: 7, ip: name } : { type: 2, value: name };
}

/** A TLS server certificate valid for localhost, 127.0.0.1 and the given host names or IP literals. */
export async function issueServerCertificate(ca: CertificateAuthority, hostnames: string[]): Promise<IssuedCertificate> {
  const keys = await generateRsaKeyPair();
  const given = hostnames.map((h) => h.trim()).filter(Boolean);
  const names = [...new Set(['localhost', '127.0.0.1', ...given])];
  const certPem = await signCertificate({
    subject: [
      ['CN', given[0] ?? 'localhost'],
      ['O', 'tradegate sandbox'],
    ],
    publicKeyPem: keys.publicKeyPem,
    years: 5,
    issuer: ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map(altName) },
    ],
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

/** The merchant's mTLS client certificate (subject CN = mchid, which `/secapi/*` matches against `mch_id`). */
export async function issueClientCertificate(ca: CertificateAuthority, mchid: string): Promise<ClientCertificate> {
  const keys = await generateRsaKeyPair();
  const certPem = await signCertificate({
    subject: [
      ['CN', mchid],
      ['O', 'tradegate sandbox'],
      ['OU', 'tradegate sandbox merchant'],
    ],
    publicKeyPem: keys.publicKeyPem,
    years: 5,
    issuer: ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  const p12Base64 = toPkcs12Base64(keys.privateKeyPem, [certPem, ca.certPem], mchid, mchid);
  return { certPem, keyPem: keys.privateKeyPem, p12Base64 };
}

/**
 * PKCS#12 with 3DES (pbeWithSHAAnd3-KeyTripleDES-CBC) for the key and SHA-1 HMAC integrity: both are in
 * OpenSSL 3's default provider, unlike forge's RC2-40 default, which Node ≥ 17 rejects ("Unsupported PKCS12 PFX
 * data"). 3DES rather than AES/PBES2 because older merchant stacks (Java 8, Windows) read it too.
 */
export function toPkcs12Base64(keyPem: string, chainPem: string[], password: string, friendlyName: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certs = chainPem.map((pem) => forge.pki.certificateFromPem(pem));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: '3des', friendlyName, generateLocalKeyId: true });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
}
