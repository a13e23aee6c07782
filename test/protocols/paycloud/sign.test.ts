/**
 * PayCloud signatures (paycloud-openapi.md §3): the official §3.2 vector, raw number text from JSON bodies (§3.1),
 * form bodies, the normalized-number fallback and the key helpers.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as signSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { decimalToMinor } from '../../../src/core/money.ts';
import { parseForm } from '../../../src/protocols/paycloud/form.ts';
import { parseTopLevel, type RawValue } from '../../../src/protocols/paycloud/lossless-json.ts';
import {
  appPrivateKeyFromPkcs8Base64,
  fieldsForSigning,
  hasNumberFields,
  normalizedNumberFields,
  publicKeyFromSpkiBase64,
  publicKeyToSpkiBase64,
  signingString,
  signPayCloud,
  verifyPayCloud,
  verifyRawFields,
} from '../../../src/protocols/paycloud/sign.ts';

/**
 * The sample app private key (app id wz715fc0d10ee9d156) from PayCloud's published Java examples (the OpenApiClient
 * demo for the Japan gateway, `APP_RSA_PRIVATE_KEY`), as printed on the Cancel order page; it reproduces the
 * §3.2 signature exactly. A public test key, used as a test vector only.
 */
const SAMPLE_APP_PRIVATE_KEY =
  'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCMPiTuC1xHkCUu/TospfJ7IldcnqYWaB4L287ADssc91NJ0NHP9AXvepTee1StWxRVamcyH3yWRJSnsbTWRqE+tQWDZ21Rhg5AQ8KWZ9RpSK+f07eX1K0rMUl3xUouvJgWzWvHZlUoIqXBx76nU7upFo5CoKmnyXYrZ0K2hjM9+7cRXff4+LJ7Js7d8eFgMWKEm0IN+h4SMeRCuU5DgIXf4W0sUZuyFXiDuIbID1kArp9JnO5woSY/OYCM3PjesaXMLHunLR2hTj4yAYg2WVT85tsWCT+B3rBDhpuNgZhRrPn9cgzaHfXCfZrpX9B5uSleuFbUFCz+e7ZqSmQ0O5PJAgMBAAECggEAMy2KdIQYzNTBfQBT9m8oqd7CWr5ahdrA/DrenB/J52wqLMnThzvZ3qaxJO+E2y5doT4PIq9y27NzPC8RexCTTzroJCfeMN3m3XTc0d5aGYG49W5hlTq7ZwO5d8e7ZorURZ35Mu8ZLGhYbPrjjFR2KyJcD9xpjR1rzjMEmW8ny/o+z1nMMdt77bLddHVwVWqEMxuyy8DRIRcLU6yqQdrio+y6nt0fYjA5lKhiAhgcjehmNFAppeLGa0bZyUGnUsXEhHpfyvbGwVqh4m65RwXi1Z5dmBSusql05GLyp6qwYjPiwNRGMehmMLCIyYAKB7lDhWVvwk7inLrxHOnR4nKGwQKBgQDmGnd0L3PiVWL3uwsNeEXz0w3I8C3RJ5ehDc21pPtUIINXrakHtWTY+d15Ay1tqVAIp+IDi5jfyjD2RoE7Ejcgyk22EF7Sz7QVNJFvLVi6ILlbot/+tNMQreMs78fkYAFXms6HKpT4zNWwxc0oykjM8WUBlGrBGkst7NZHOk+V7QKBgQCcBrF4UOh4iEGEFFsb5IypgY5wAJnwU6ExwFS7nbzDzrPcbLicNxiKl3496UD8iCuMxr248tuHWFUrmzoJ4Q/JGrc02ttKQsBcUMuOlzR6ifUIAiTbKVsuZpWywIVWd0xFjSp9hvXIq0EjnqlaUYHLossJH6ZJNs8QImTtGsH5zQKBgQDi56J37ftGa5EGXWnOxJWmlK75QO7NW0+Iv8Xko2Y7VTxvj44pTdS+qdad6GY5x0Zm4rZbbKM5u3aAxJHXIGVAbn4nVQlMtQkOCCKKEZt3H6HpHTnpP4MK5Y4p1+Gz8IAiVUPnwjPZDJSElulymdckUb6ayjJjbXxJM00yO+wTGQKBgA72gVyFfdXZU1ckUJx7LZYv64YIOLsYehP4WufnN6wbjZos/wNUMVFRN/UeAnJ1aJ/Gi3lKKQ1wxjI5X7aE0+u4WSuDdZZIkoQH542UKJ87zbjn47r02162zdJnriHdrP3ajOGe6MFG0ydkVt9ng6gQw6HrXBoXXIIymjU25LVdAoGBAI+IFLPulppYH2vWZzi3RAykUsQ25AQKewEdGfyxTLXkiPs1Wj3eTymVK6V28/jPOggBfhIaxb1dgLucShz1NzoSjln2XOghp5Ze3LJOIX/NitA04xQN6PWPB0XOBW84DGJT+kcRvdH+OCJE3fadzt7W6C5JvZISUpeLa3/754xa';

const appKey = appPrivateKeyFromPkcs8Base64(SAMPLE_APP_PRIVATE_KEY);
// What tradegate stores for a registered app: its public key in the SDKs' base64 SPKI form.
const appPublicKey = publicKeyFromSpkiBase64(publicKeyToSpkiBase64(appKey));

/** Signs a literal string independently of the code under test. */
const signLiteral = (s: string) => signSync('sha256', Buffer.from(s, 'utf8'), appKey).toString('base64');

function parsedJson(text: string): Map<string, RawValue> {
  const r = parseTopLevel(text);
  assert.ok(r.ok, !r.ok ? r.reason : '');
  return r.fields;
}

describe('§3.2 vector (Cancel order sample)', () => {
  const params = new Map([
    ['app_id', 'wz715fc0d10ee9d156'],
    ['method', 'order.revoker'],
    ['format', 'JSON'],
    ['charset', 'UTF-8'],
    ['sign_type', 'RSA2'],
    ['version', '1.0'],
    ['timestamp', '1735885114292'],
    ['merchant_no', '312100007235'],
    ['merchant_order_no', 'TEST_1735885114292'],
  ]);
  const expectedString =
    'app_id=wz715fc0d10ee9d156&charset=UTF-8&format=JSON&merchant_no=312100007235&merchant_order_no=TEST_1735885114292&method=order.revoker&sign_type=RSA2&timestamp=1735885114292&version=1.0';
  const expectedSign =
    'fvCSuSTEpcd8qKaFoilvulLVo0g0tS+aa9RAMDH4S92hBKdw2c8e+KFZwN874ImgjNtAeFu49Y2G4Yt0hN/aEP0jzoL9LhbLFTm+ZJRK8uuJ56wlZ2wlia3AVypTvvl50RfRuWpUxJ3R9oqtwwdiQ0iWykIBaO3W3GvRfATRiIERigHetpVf6vg+CpOrBp0f/T7CaPveairM9+4yBdOWR2U02SW71HqjS2w6zfezMhhBuaUn8hmPsaQYaCdkqPd9yAwujeJaEusW38spLG05OUL5xW0Qx9gFT/DqLYGCU7NHjMtAIIMIGGhPnouZQB7HSp9FmzNU84SIDZ8e9qd7BQ==';

  test('string to sign', () => {
    assert.equal(signingString(params), expectedString);
  });

  test('exact signature with the sample app key, and it verifies', async () => {
    assert.equal(await signPayCloud(params, appKey), expectedSign);
    assert.equal(await verifyPayCloud(new Map([...params, ['sign', expectedSign]]), expectedSign, appPublicKey), true);
  });

  test('the same request as a form body and as a JSON body verifies', async () => {
    const form = parseForm(new URLSearchParams([...params, ['sign', expectedSign]]).toString());
    assert.ok(form);
    assert.equal(await verifyPayCloud(form, form.get('sign')!, appPublicKey), true);
    const json = parsedJson(JSON.stringify({ ...Object.fromEntries(params), sign: expectedSign }));
    assert.equal(await verifyPayCloud(fieldsForSigning(json), expectedSign, appPublicKey), true);
  });
});

describe('signingString (§3 steps 1-3)', () => {
  test('drops sign in any case and empty values, keeps sign_type and unknown fields', () => {
    const s = signingString(
      new Map([
        ['sign', 'x'],
        ['SIGN', 'y'],
        ['Sign', 'z'],
        ['sign_type', 'RSA2'],
        ['attach', ''],
        ['zz_new', '1'],
      ]),
    );
    assert.equal(s, 'sign_type=RSA2&zz_new=1');
  });

  test('ordinal order (upper case < underscore < lower case), raw values without URL-encoding', () => {
    const s = signingString(
      new Map([
        ['ab', '1'],
        ['a_b', '2'],
        ['a', 'x&y=z'],
        ['_x', ' '],
        ['B', '中文'],
        ['a+', '%20'],
      ]),
    );
    assert.equal(s, 'B=中文&_x= &a=x&y=z&a+=%20&a_b=2&ab=1');
  });
});

describe('raw number text (§3.1): 1.0, 200.06, empty attach, 1e2', () => {
  const literal =
    'app_id=wz715fc0d10ee9d156&charset=UTF-8&expires=1e2&ext_params={"k":[1.0,"a b"]}&format=JSON&merchant_no=312100007235&merchant_order_no=TEST_1&method=bscanc.pay.submit&order_amount=1.0&price_currency=CNY&sign_type=RSA2&timestamp=1735885114292&trans_amount=200.06&version=1.0';
  const sign = signLiteral(literal);
  const jsonBody =
    `{"app_id":"wz715fc0d10ee9d156","method":"bscanc.pay.submit","format":"JSON","charset":"UTF-8","sign_type":"RSA2",` +
    `"version":"1.0","timestamp":"1735885114292","merchant_no":"312100007235","merchant_order_no":"TEST_1",` +
    `"price_currency":"CNY","trans_amount":200.06,"order_amount":1.0,"attach":"","expires":1e2,"store_no":null,` +
    `"ext_params":{ "k" : [ 1.0, "a b" ] },"sign":${JSON.stringify(sign)}}`;

  test('JSON body: signing string uses the token text and verifies exactly', async () => {
    const raw = parsedJson(jsonBody);
    assert.equal(signingString(fieldsForSigning(raw)), literal);
    assert.equal(await verifyPayCloud(fieldsForSigning(raw), sign, appPublicKey), true);
    assert.deepEqual(await verifyRawFields(raw, sign, appPublicKey), { ok: true, normalizedNumbers: false });
    // The amount text is also what the money layer reads, exactly.
    assert.deepEqual(raw.get('trans_amount'), { kind: 'number', text: '200.06' });
    assert.equal(decimalToMinor('200.06', 'CNY'), 20006);
  });

  test('JSON.parse would have broken it (the pitfall this module exists for)', async () => {
    const lossy = new Map(
      Object.entries(JSON.parse(jsonBody) as Record<string, unknown>)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
    );
    assert.equal(await verifyPayCloud(lossy, sign, appPublicKey), false);
  });

  test('form body: the same values, decoded, verify exactly', async () => {
    const formBody =
      'app_id=wz715fc0d10ee9d156&method=bscanc.pay.submit&format=JSON&charset=UTF-8&sign_type=RSA2&version=1.0' +
      '&timestamp=1735885114292&merchant_no=312100007235&merchant_order_no=TEST_1&price_currency=CNY' +
      '&trans_amount=200.06&order_amount=1.0&attach=&expires=1e2&ext_params=%7B%22k%22%3A%5B1.0%2C%22a+b%22%5D%7D' +
      `&sign=${encodeURIComponent(sign)}`;
    const form = parseForm(formBody);
    assert.ok(form);
    assert.equal(signingString(form), literal);
    assert.equal(await verifyPayCloud(form, form.get('sign')!, appPublicKey), true);
  });

  test('an unencoded + in sign (decoded to a space) is tolerated', async () => {
    const broken = sign.replace(/\+/g, ' ');
    assert.notEqual(broken, sign, 'the vector signature should contain a +');
    assert.equal(await verifyPayCloud(parseForm(literal.replace(/\+/g, '%2B').replace(/ /g, '+'))!, broken, appPublicKey), true);
  });
});

describe('normalized-number fallback (§3.1 last resort)', () => {
  test('shortest forms', () => {
    const raw = parsedJson('{"a":1.0,"b":100.50,"c":1e2,"d":-0.0,"e":200.06,"f":1e400,"s":"1.0","t":true}');
    assert.deepEqual(Object.fromEntries(normalizedNumberFields(raw)), { a: '1', b: '100.5', c: '100', d: '0', e: '200.06', f: '1e400', s: '1.0', t: 'true' });
    assert.equal(hasNumberFields(raw), true);
    assert.equal(hasNumberFields(parsedJson('{"a":"1.0"}')), false);
  });

  test('a client that signed "1" but sent 1.0 verifies only through the fallback', async () => {
    const sign = signLiteral('app_id=x&trans_amount=1');
    const raw = parsedJson(`{"app_id":"x","trans_amount":1.0,"sign":"${sign}"}`);
    assert.equal(await verifyPayCloud(fieldsForSigning(raw), sign, appPublicKey), false);
    assert.deepEqual(await verifyRawFields(raw, sign, appPublicKey), { ok: true, normalizedNumbers: true });
  });

  test('wrong signatures fail both ways; malformed ones are false, not exceptions', async () => {
    const raw = parsedJson('{"app_id":"x","trans_amount":1.0}');
    const other = signLiteral('app_id=y&trans_amount=1');
    assert.deepEqual(await verifyRawFields(raw, other, appPublicKey), { ok: false });
    assert.deepEqual(await verifyRawFields(parsedJson('{"app_id":"x"}'), other, appPublicKey), { ok: false });
    for (const bad of ['', '!!', 'abc', 'A'.repeat(10_000)]) assert.equal(await verifyPayCloud(new Map([['a', '1']]), bad, appPublicKey), false);
  });
});

describe('keys', () => {
  test("sign/verify round-trip with a generated key pair, via the SDKs' base64 forms", async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const priv = appPrivateKeyFromPkcs8Base64(pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'));
    const pub = publicKeyFromSpkiBase64(pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'));
    const fields = new Map([
      ['b', '2'],
      ['a', '中文 & ='],
    ]);
    const sig = await signPayCloud(fields, priv);
    assert.equal(await verifyPayCloud(fields, sig, pub), true);
    assert.equal(
      await verifyPayCloud(
        new Map([
          ['b', '2'],
          ['a', '中文 & = '],
        ]),
        sig,
        pub,
      ),
      false,
    );
    assert.equal(await verifyPayCloud(fields, sig, appPublicKey), false);
  });

  test('PEM armour and line breaks are accepted', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${SAMPLE_APP_PRIVATE_KEY.replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
    assert.equal(publicKeyToSpkiBase64(appPrivateKeyFromPkcs8Base64(pem)), publicKeyToSpkiBase64(appKey));
  });

  test('non-RSA, short and non-base64 keys are refused', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => appPrivateKeyFromPkcs8Base64(ec.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')), /not an RSA key/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => publicKeyFromSpkiBase64(small.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')), /2048/);
    assert.throws(() => publicKeyFromSpkiBase64('not base64!'), /base64/);
  });
});
