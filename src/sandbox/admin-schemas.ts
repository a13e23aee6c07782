/**
 * JSON schemas of the sandbox admin API. Fastify validates requests against them (a refusal names the field) and
 * serialises answers through them; @fastify/swagger turns them into the OpenAPI document at /sandbox/openapi.json.
 * Inline objects rather than shared `$id` schemas: the OpenAPI generator sits at the root and would not see
 * schemas added inside the sandbox plugin.
 */

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const MCHID = { type: 'string', pattern: '^[0-9]{6,12}$', description: 'merchant number' } as const;
/** Order numbers of every dialect: printable ASCII, 1–64 characters (PayCloud allows 64, WeChat 32). */
const OUT_TRADE_NO = {
  type: 'string',
  pattern: '^[\\x21-\\x7e]{1,64}$',
  description: "the merchant's order number (out_trade_no / merchant_order_no)",
} as const;

export const errorSchema = {
  type: 'object',
  description: 'every refusal: a stable code, a sentence, and for invalid input the field it concerns',
  required: ['error', 'message'],
  properties: { error: str, message: str, field: { type: 'string', description: 'the refused field (body property, path or query parameter)' } },
} as const;

/** Refusals every route may answer (the admin token is checked first). */
const refusals = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 415: errorSchema, 500: errorSchema } as const;

export const mchidParams = { type: 'object', required: ['mchid'], properties: { mchid: MCHID } } as const;
export const orderParams = { type: 'object', required: ['mchid', 'no'], properties: { mchid: MCHID, no: OUT_TRADE_NO } } as const;
export const notificationParams = {
  type: 'object',
  required: ['mchid', 'id'],
  properties: { mchid: MCHID, id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export const provisionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: ['direct', 'service_provider', 'sub_merchant'], default: 'direct' },
    sp_mchid: { ...MCHID, description: 'the service provider of a sub_merchant (required for that mode)' },
    mchid: { ...MCHID, description: 'a chosen merchant number (default: a fresh random one)' },
    region: { type: 'string', enum: ['mainland', 'global'], description: "default mainland (a sub-merchant: its provider's)" },
    strictTiming: { type: 'boolean', description: 'false: "too early" refusals become the in-window outcome' },
    lenientEmptyBodySignature: { type: 'boolean', description: 'accept the client defect that omits the final \\n of an empty-body signature' },
    platformMode: { type: 'string', enum: ['certificate', 'public_key'], description: 'how answers are signed when the request names no key' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 (default CNY; global: HKD)' },
    exchangeRate: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'global merchants: payer-currency rate × 10^8' },
  },
} as const;

export const clockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['advance_seconds'],
  properties: { advance_seconds: { type: 'number', minimum: 0, maximum: 10 * 366 * 86400, description: 'seconds to move forward (never back)' } },
} as const;

const payCloudApp = {
  type: 'object',
  description: "the merchant's PayCloud app (direct merchants)",
  properties: {
    appId: str,
    merchantNo: str,
    storeNo: str,
    appPrivateKeyPkcs8Base64: str,
    appPublicKeySpkiBase64: str,
    gatewayPublicKeySpkiBase64: str,
  },
} as const;

export const credentialsSchema = {
  type: 'object',
  description: "a merchant's credentials JSON (a sub-merchant has no keys: mode, mchid, appid, spMchid, baseUrl)",
  required: ['mode', 'mchid', 'appid', 'baseUrl'],
  properties: {
    mode: { type: 'string', enum: ['direct', 'service_provider', 'sub_merchant'] },
    region: { type: 'string', enum: ['mainland', 'global'] },
    mchid: str,
    appid: str,
    spMchid: nullableStr,
    apiV2Key: str,
    apiV3Key: str,
    merchantSerialNo: str,
    merchantPrivateKeyPem: str,
    merchantCertificatePem: str,
    platformSerialNo: str,
    platformCertificatePem: str,
    platformPublicKeyId: str,
    platformPublicKeyPem: str,
    platformMode: { type: 'string', enum: ['certificate', 'public_key'] },
    apiV2ClientCertificatePem: str,
    apiV2ClientKeyPem: str,
    apiV2ClientP12Base64: str,
    caCertificatePem: str,
    paycloud: payCloudApp,
    baseUrl: str,
    httpsBaseUrl: str,
  },
} as const;

export const orderViewSchema = {
  type: 'object',
  description: 'an order as the sandbox sees it: every fact, its refunds (also those a reverse or void made) and its history',
  properties: {
    mchid: str,
    out_trade_no: str,
    transaction_id: nullableStr,
    trade_type: { type: 'string', enum: ['MICROPAY', 'NATIVE', 'JSAPI', 'APP', 'MWEB'] },
    state: { type: 'string', enum: ['NOTPAY', 'USERPAYING', 'SUCCESS', 'REFUND', 'CLOSED', 'REVOKED', 'PAYERROR'] },
    amount: { type: 'integer', description: 'minor units of currency' },
    currency: str,
    refunded_amount: int,
    created_at: time,
    expires_at: time,
    paid_at: nullableTime,
    failure: nullableStr,
    protocol: str,
    refunds: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          refund_id: str,
          out_refund_no: nullableStr,
          amount: int,
          currency: str,
          status: { type: 'string', enum: ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'] },
          cause: { type: 'string', enum: ['refund', 'reverse', 'void'] },
          created_at: time,
          success_at: nullableTime,
        },
      },
    },
    history: {
      type: 'array',
      items: {
        type: 'object',
        properties: { from: nullableStr, to: str, cause: str, protocol: str, request_id: nullableStr, at: time, refund_id: nullableStr },
      },
    },
    faults_fired: {
      type: 'array',
      description: 'the fault lab: every fault fired on this order number, oldest first',
      items: {
        type: 'object',
        properties: {
          fault_id: { type: ['string', 'null'] },
          effect: str,
          commit: nullableStr,
          operation: str,
          dialect: str,
          request_id: nullableStr,
          at: time,
        },
      },
    },
  },
} as const;

export const notificationsSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: int,
          kind: str,
          protocol: str,
          url: str,
          status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
          attempts: int,
          next_attempt_at: nullableTime,
          delivered_at: nullableTime,
          payload: { type: ['string', 'null'], description: 'the body as first sent' },
          attempt_log: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                attempt: int,
                at: time,
                wall_at: time,
                status_code: { type: ['integer', 'null'] },
                response: nullableStr,
                error: nullableStr,
                duration_ms: { type: 'number' },
                acknowledged: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const clockSchema = {
  type: 'object',
  properties: { mchid: str, offset_seconds: { type: 'number' }, now: time, now_ms: int },
} as const;

const TAGS = ['sandbox'];

/** A route's schema: summary, tags, admin security, and its refusals next to its success answer. */
export function routeSchema(summary: string, parts: { params?: object; querystring?: object; body?: object; ok: Record<number, object> }) {
  const { ok, ...rest } = parts;
  return { summary, tags: TAGS, security: [{ adminToken: [] }], ...rest, response: { ...refusals, ...ok } };
}
