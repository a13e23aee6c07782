/**
 * `req_info` of the APIv2 refund notification (wechatpay-v2.md §8.2): base64(AES-256-ECB, PKCS#7) of the inner
 * `<root>…</root>` XML. The key is not the API key itself but the 32 ASCII bytes of its lower-case hex MD5 — the
 * detail integrations most often get wrong, hence the separate raw-key primitives for vector tests.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

function aesKey(keyAscii32: string): Buffer {
  const key = Buffer.from(keyAscii32, 'utf8');
  if (key.length !== 32) throw new RangeError('AES-256 key must be 32 bytes');
  return key;
}

/** Raw-key AES-256-ECB with PKCS#7 padding (Node's default), base64 output. */
export function aes256EcbEncrypt(plain: string | Buffer, keyAscii32: string): string {
  const cipher = createCipheriv('aes-256-ecb', aesKey(keyAscii32), null);
  const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  return Buffer.concat([cipher.update(data), cipher.final()]).toString('base64');
}

/** Inverse of aes256EcbEncrypt; throws on malformed base64 length or bad padding (i.e. wrong key). */
export function aes256EcbDecrypt(b64: string, keyAscii32: string): string {
  // Buffer's base64 decoder skips junk silently; insist on canonical input so a mangled value fails loudly.
  const data = Buffer.from(b64, 'base64');
  if (data.toString('base64') !== b64) throw new RangeError('req_info is not canonical base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new RangeError('ciphertext is not a whole number of blocks');
  const decipher = createDecipheriv('aes-256-ecb', aesKey(keyAscii32), null);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

/** The req_info key: lower-case hex MD5 of the merchant's API key, used as 32 ASCII bytes. */
export function reqInfoKey(apiKey: string): string {
  return createHash('md5').update(apiKey, 'utf8').digest('hex');
}

/** Encrypts the inner `<root>…</root>` XML of a refund notification into `req_info`. */
export function encryptReqInfo(xmlInner: string, apiKey: string): string {
  return aes256EcbEncrypt(xmlInner, reqInfoKey(apiKey));
}

/** Decrypts `req_info` back to the inner XML (what a merchant does); throws on a wrong key or corrupt input. */
export function decryptReqInfo(b64: string, apiKey: string): string {
  return aes256EcbDecrypt(b64, reqInfoKey(apiKey));
}
