/**
 * A request as the log stores it, derived from what the request path recorded: the order it addressed (from its
 * path or its body, whichever dialect's format), its texts bounded and made storable.
 */
import type { AuthDiagnostics } from './note.ts';
import type { RequestLogRow } from './store.ts';

/** What the request path records: references only, nothing derived yet. */
export interface PendingRequest {
  readonly at: number;
  readonly dialect: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly requestId: string;
  readonly body: unknown;
  readonly mchid?: string;
  readonly operation?: string;
  readonly errorCode?: string;
  readonly message?: string;
  readonly diagnostics?: AuthDiagnostics;
}

const MAX_TEXT = 4096;

/** PostgreSQL text cannot hold U+0000, and one such value would fail its whole batch: it is logged as U+FFFD. */
const storable = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

const clip = (s: string | undefined | null, n = 128): string | null => (s === undefined || s === null ? null : storable(s.slice(0, n)));

/** The diagnostics' texts made storable (they quote what the caller sent: a body may hold anything). */
function storableDiagnostics(d: AuthDiagnostics): AuthDiagnostics {
  return {
    ...d,
    reason: storable(d.reason),
    expected_signing_string: clip(d.expected_signing_string, MAX_TEXT) ?? undefined,
    key: clip(d.key, MAX_TEXT) ?? undefined,
    sign_type: clip(d.sign_type) ?? undefined,
    received_signature_prefix: clip(d.received_signature_prefix) ?? undefined,
    valid_serials: d.valid_serials?.map(storable),
  };
}

/** Per field name: JSON `"name":"v"`, XML `<name>v</name>` (CDATA too), form `name=v`; compiled once. */
const FIELD_PATTERNS = new Map<string, readonly [RegExp, RegExp, RegExp]>();

function patternsOf(name: string): readonly [RegExp, RegExp, RegExp] {
  let p = FIELD_PATTERNS.get(name);
  if (!p) {
    p = [
      new RegExp(`"${name}"\\s*:\\s*"([^"\\\\]{1,64})"`),
      new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]{1,64})`),
      new RegExp(`(?:^|&)${name}=([^&]{1,64})`),
    ];
    FIELD_PATTERNS.set(name, p);
  }
  return p;
}

/** A field of the body as sent, whichever dialect's format the body has. */
function fieldOf(text: string, name: string): string | null {
  if (!text.includes(name)) return null;
  const [json, xml, form] = patternsOf(name);
  const found = json.exec(text) ?? xml.exec(text);
  if (found) return found[1];
  const f = form.exec(text);
  if (!f) return null;
  try {
    return decodeURIComponent(f[1].replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const SEGMENTS = new Map<string, RegExp>();

/** A path segment after `marker` (APIv3 `…/out-trade-no/{no}`, `…/id/{transaction_id}`), decoded. */
function segmentAfter(url: string, marker: string): string | null {
  if (!url.includes(marker)) return null;
  let re = SEGMENTS.get(marker);
  if (!re) {
    re = new RegExp(`${marker}([^/?]{1,96})`);
    SEGMENTS.set(marker, re);
  }
  const m = re.exec(url);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

const BODY_SEARCHED = 64 * 1024;
const TRANSACTION_ID_FIELDS = ['transaction_id', 'trans_no'] as const;
const ORDER_FIELDS = ['out_trade_no', 'merchant_order_no', ...TRANSACTION_ID_FIELDS] as const;

/**
 * The first 64 KB of a body as text, decoded only when it names one of the fields looked for (searched in its
 * bytes): most calls name their order in the path, and a decoded body is one more allocation per request.
 */
function bodyText(body: unknown, names: readonly string[]): string {
  if (!Buffer.isBuffer(body)) return '';
  const head = body.length > BODY_SEARCHED ? body.subarray(0, BODY_SEARCHED) : body;
  return names.some((n) => head.includes(n)) ? head.toString('utf8') : '';
}

/** The order a request addressed: the path first, then the body (PayCloud calls it merchant_order_no). */
function orderNumbers(p: PendingRequest): { outTradeNo: string | null; transactionId: string | null } {
  const inPath = segmentAfter(p.url, '/out-trade-no/');
  const text = bodyText(p.body, inPath === null ? ORDER_FIELDS : TRANSACTION_ID_FIELDS);
  const outTradeNo =
    inPath ??
    fieldOf(text, 'out_trade_no') ??
    (p.dialect === 'paycloud' && !/"?method"?\s*[:=]\s*"?order\.refund/.test(text) ? fieldOf(text, 'merchant_order_no') : null);
  const transactionId = segmentAfter(p.url, '/transactions/id/') ?? fieldOf(text, 'transaction_id') ?? fieldOf(text, 'trans_no');
  return { outTradeNo, transactionId };
}

export function toRow(p: PendingRequest): RequestLogRow {
  const { outTradeNo, transactionId } = orderNumbers(p);
  const d = p.diagnostics;
  return {
    at: p.at,
    mchid: clip(p.mchid, 64),
    dialect: p.dialect,
    operation: clip(p.operation),
    method: storable(p.method.slice(0, 16)),
    path: storable(p.url.slice(0, 1024)),
    status: p.status,
    error_code: clip(p.errorCode, 64),
    message: clip(p.message, 256),
    latency_ms: Math.round(p.latencyMs * 1000) / 1000,
    request_id: p.requestId,
    out_trade_no: clip(outTradeNo, 64),
    transaction_id: clip(transactionId, 64),
    diagnostics: d ? storableDiagnostics(d) : null,
  };
}
