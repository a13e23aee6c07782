/**
 * PayCloud signatures (paycloud-openapi.md §3): SHA256withRSA (PKCS#1 v1.5) over the sorted `k=v&…` string of the
 * top-level parameters. The same rule signs requests (app key), responses and notifications (gateway key).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { rsaSign, rsaVerify } from '../../lib/crypto.ts';
import type { RawValue } from './lossless-json.ts';

/**
 * §3 steps 1-3: drop `sign` (any letter case) and empty values, sort names by ordinal order, join `k=v` with `&`,
 * values raw (no URL-encoding). Unknown fields stay in: they were signed too (§2).
 */
export function signingString(fields: ReadonlyMap<string, string>): string {
  const entries: [string, string][] = [];
  for (const [name, value] of fields) {
    if (value === '' || name.toLowerCase() === 'sign') continue;
    entries.push([name, value]);
  }
  // Ordinal = UTF-16 code-unit order, which is what the SDKs use (Java TreeMap / String.compareTo, C#
  // CompareOrdinal) and what `<` on JS strings does. Names are distinct (Map keys), so no tie-break is needed.
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.map(([k, v]) => `${k}=${v}`).join('&');
}

/** §3 step 4: base64 SHA256withRSA signature, computed in libuv's thread pool so RSA stays off the event loop. */
export function signPayCloud(fields: ReadonlyMap<string, string>, privateKey: KeyObject): Promise<string> {
  return rsaSign(Buffer.from(signingString(fields), 'utf8'), privateKey);
}

/**
 * Checks a base64 signature against the fields; malformed signatures are just `false`, never an exception.
 * Spaces in the signature are read as `+`: a form client that forgot to percent-encode `+` in `sign` had it
 * decoded to a space, and restoring it cannot make a wrong signature verify.
 */
export function verifyPayCloud(fields: ReadonlyMap<string, string>, signature: string, publicKey: KeyObject): Promise<boolean> {
  return rsaVerify(Buffer.from(signingString(fields), 'utf8'), signature.replace(/ /g, '+'), publicKey);
}

/**
 * The text signed for each JSON value (§3.1): decoded strings, numbers as their raw token (`1.0` stays `1.0`),
 * `true`/`false`, nested objects/arrays as their compact source text; `null` is dropped like an empty value.
 */
export function fieldsForSigning(raw: ReadonlyMap<string, RawValue>): Map<string, string> {
  return mapFields(raw, (text) => text);
}

/**
 * The §3.1 last resort: as `fieldsForSigning`, but numbers in their shortest form (`1.0` → `1`, `100.50` →
 * `100.5`, `1e2` → `100`), i.e. what a client signs when it stringifies numbers itself while its JSON library
 * writes them differently. The shortest form is the ECMAScript one (round-trip shortest), the form most other
 * runtimes' "shortest" printers agree on; numbers that do not fit a double keep their text.
 */
export function normalizedNumberFields(raw: ReadonlyMap<string, RawValue>): Map<string, string> {
  return mapFields(raw, shortestNumberText);
}

/** Whether the last-resort retry can differ from the first attempt (§3.1: only "if numbers were present"). */
export function hasNumberFields(raw: ReadonlyMap<string, RawValue>): boolean {
  for (const v of raw.values()) if (v.kind === 'number') return true;
  return false;
}

export type RawVerifyResult = { ok: true; normalizedNumbers: boolean } | { ok: false };

/**
 * Verifies a JSON body's signature by §3.1: first with raw number text, then, only if that fails and the body has
 * numbers, with normalized numbers. `normalizedNumbers` tells the caller to log that the fallback was needed.
 */
export async function verifyRawFields(raw: ReadonlyMap<string, RawValue>, signature: string, publicKey: KeyObject): Promise<RawVerifyResult> {
  if (await verifyPayCloud(fieldsForSigning(raw), signature, publicKey)) return { ok: true, normalizedNumbers: false };
  if (!hasNumberFields(raw)) return { ok: false };
  const normalized = normalizedNumberFields(raw);
  if (signingString(normalized) === signingString(fieldsForSigning(raw))) return { ok: false };
  return (await verifyPayCloud(normalized, signature, publicKey)) ? { ok: true, normalizedNumbers: true } : { ok: false };
}

function mapFields(raw: ReadonlyMap<string, RawValue>, numberText: (text: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, v] of raw) {
    switch (v.kind) {
      case 'string':
        out.set(name, v.value);
        break;
      case 'number':
        out.set(name, numberText(v.text));
        break;
      case 'bool':
        out.set(name, v.text);
        break;
      case 'raw':
        out.set(name, v.text);
        break;
      case 'null':
        break;
    }
  }
  return out;
}

function shortestNumberText(text: string): string {
  const n = Number(text);
  // Overflow (`1e400`) has no shortest form; keep what was sent.
  return Number.isFinite(n) ? String(n) : text;
}

/** Removes PEM armour and whitespace, so both the SDKs' bare base64 and a pasted PEM block are accepted. */
function derFromBase64(b64: string): Buffer {
  const body = b64.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new TypeError('key is not base64');
  return Buffer.from(body, 'base64');
}

function requireRsa(key: KeyObject, what: string): KeyObject {
  // §3: keys are RSA 2048. Smaller keys are refused; larger ones are harmless and accepted.
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} is not an RSA key`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new RangeError(`${what} has ${bits} bits; RSA 2048 or more is required`);
  return key;
}

/** App (or gateway) private key as the SDKs hold it: base64 PKCS#8 DER (§3 keys). Throws on bad input. */
export function appPrivateKeyFromPkcs8Base64(b64: string): KeyObject {
  return requireRsa(createPrivateKey({ key: derFromBase64(b64), format: 'der', type: 'pkcs8' }), 'private key');
}

/** Public key as the SDKs hold it: base64 X.509 SubjectPublicKeyInfo DER (§3 keys). Throws on bad input. */
export function publicKeyFromSpkiBase64(b64: string): KeyObject {
  return requireRsa(createPublicKey({ key: derFromBase64(b64), format: 'der', type: 'spki' }), 'public key');
}

/** The base64 SPKI DER form of a public (or private) key: what tradegate publishes as the gateway public key. */
export function publicKeyToSpkiBase64(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).toString('base64');
}
