import { customAlphabet } from 'nanoid';
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

/** Parses a PEM private key once; later calls reuse the KeyObject (parsing costs more than signing). */
export function privateKeyOf(pem: string): KeyObject {
  let key = privateKeys.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    privateKeys.set(pem, key);
  }
  return key;
}

/** Public key from a certificate, SPKI PEM or private key PEM, parsed once. */
export function publicKeyOf(pem: string): KeyObject {
  let key = publicKeys.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    publicKeys.set(pem, key);
  }
  return key;
}

/** SHA256withRSA (PKCS#1 v1.5), base64. Runs in libuv's thread pool, off the event loop. */
export function rsaSign(message: string | Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(message), key, (err, sig) => (err ? reject(err) : resolve(sig.toString('base64'))));
  });
}

/**
 * Verifies a base64 SHA256withRSA signature; malformed input is just "false". Inline, unlike signing: an RSA-2048
 * verification costs ~20 µs (public exponent 65537), less than handing it to the thread pool and waking for the
 * answer; signing costs ~250 µs and stays off the event loop (rsaSign).
 */
export function rsaVerify(message: string | Buffer, signatureB64: string, key: KeyObject): Promise<boolean> {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return Promise.resolve(false);
  try {
    return Promise.resolve(verify('sha256', Buffer.from(message), key, Buffer.from(signatureB64, 'base64')));
  } catch {
    return Promise.resolve(false);
  }
}

function gcmAlgorithm(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new RangeError('AES-GCM key must be 16, 24 or 32 bytes');
}

/** AEAD_AES_256_GCM as WeChat Pay uses it: ASCII key and nonce bytes, base64(ciphertext ‖ 16-byte tag). */
export function aesGcmEncrypt(plaintext: string, keyAscii: string, nonce: string, aad: string): string {
  const key = Buffer.from(keyAscii, 'utf8');
  const cipher = createCipheriv(gcmAlgorithm(key), key, Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return ct.toString('base64');
}

export function aesGcmDecrypt(ciphertextB64: string, keyAscii: string, nonce: string, aad: string): string {
  const key = Buffer.from(keyAscii, 'utf8');
  const data = Buffer.from(ciphertextB64, 'base64');
  if (data.length < 16) throw new RangeError('ciphertext too short');
  const decipher = createDecipheriv(gcmAlgorithm(key), key, Buffer.from(nonce, 'utf8'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// nanoid draws from a buffer of random bytes that it refills in bulk from the same CSPRNG: one call into it per
// hundred-odd identifiers, where `randomBytes` per identifier is a synchronous job of ~7 µs (an APIv3 answer needs
// two: its request id and its signature's nonce). Its characters are uniform (no modulo bias).
const alnum = customAlphabet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 32);
const upperHex = customAlphabet('0123456789ABCDEF', 32);

/** A random [A-Za-z0-9] string (nonces). */
export function randomAlnum(length: number): string {
  return alnum(length);
}

/** A random [0-9A-F] string (request ids). */
export function randomUpperHex(length: number): string {
  return upperHex(length);
}

/** Key-order-independent JSON text: the fingerprint of a request's parameters. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}
