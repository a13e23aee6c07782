/**
 * One order: facts, the payer simulator (QR image of its code_url, pay / confirm / abandon) and the timeline —
 * history, refunds (reverse/void ones included), notifications with each attempt, fired faults when the fault
 * lab records them, and every API request that touched the order. The part below the title is a live region.
 */
import type { HistoryEntry, Order, Refund } from '../../core/order.ts';
import type { StoredRequest } from '../../request-log/store.ts';
import type { AttemptRecord, OutboxRow } from '../../store/outbox-store.ts';
import { html, iso, page, postButton, type Html } from '../html.ts';
import { diagnosticsBlock } from './requests.ts';

export interface OrderTimeline {
  readonly order: Order;
  readonly refunds: readonly Refund[];
  readonly history: readonly HistoryEntry[];
  readonly notifications: readonly (OutboxRow & { attemptLog: AttemptRecord[] })[];
  readonly requests: readonly StoredRequest[];
  /** Rows of the fault lab's `fired_faults` for this order; null when that table does not exist. */
  readonly faults: readonly Record<string, unknown>[] | null;
  /** The code_url (or other payment link) the payer would scan, and its QR code as a data: URI. */
  readonly qr: { link: string; image: string } | null;
}

function simulator(csrf: string, base: string, t: OrderTimeline): Html {
  const o = t.order;
  const actions: Html[] = [];
  if (o.state === 'NOTPAY') actions.push(postButton(`${base}/pay`, 'Pay', csrf));
  if (o.state === 'USERPAYING') {
    actions.push(postButton(`${base}/confirm`, 'Confirm password', csrf));
    actions.push(postButton(`${base}/abandon`, 'Abandon', csrf, {}, 'secondary'));
  }
  return html`<section class="card" aria-labelledby="payer-h"><h2 id="payer-h">Payer simulator</h2>
    ${
      t.qr && o.state === 'NOTPAY'
        ? html`<figure class="qr"><img src="${t.qr.image}" alt="QR code of ${t.qr.link}" width="200" height="200">
      <figcaption><code>${t.qr.link}</code></figcaption></figure>`
        : ''
    }
    ${actions.length ? html`<p>${actions}</p>` : html`<p class="muted">Nothing for the payer to do in state ${o.state}.</p>`}</section>`;
}

function requestRows(rows: readonly StoredRequest[]): Html {
  if (rows.length === 0) return html`<p class="muted">No API request recorded for this order yet.</p>`;
  return html`<div class="table-wrap"><table><thead><tr><th scope="col">time (wall)</th><th scope="col">method and path</th><th scope="col">dialect</th>
    <th scope="col">status</th><th scope="col">error code</th><th scope="col">latency</th><th scope="col">request id</th></tr></thead><tbody>
    ${rows.map(
      (r) => html`<tr><td>${iso(r.at)}</td><td>${r.method} ${r.path}${r.diagnostics ? diagnosticsBlock(r.diagnostics) : ''}</td><td>${r.dialect}</td>
      <td>${r.status}</td><td class="${r.error_code ? 'error' : ''}">${r.error_code ?? ''}</td><td>${r.latency_ms.toFixed(1)} ms</td><td><code>${r.request_id}</code></td></tr>`,
    )}
    </tbody></table></div>`;
}

export function orderLive(csrf: string, base: string, t: OrderTimeline): Html {
  const o = t.order;
  return html`<div class="grid">
    <section class="card" aria-labelledby="facts-h"><h2 id="facts-h">Order</h2><dl class="facts">
      <dt>state</dt><dd class="state" id="order-state">${o.state}</dd>
      <dt>amount</dt><dd>${o.amount} ${o.currency}${o.refundedAmount ? html` (refunded ${o.refundedAmount})` : ''}</dd>
      <dt>trade type</dt><dd>${o.tradeType}</dd><dt>dialect</dt><dd>${o.protocol}</dd>
      <dt>transaction_id</dt><dd>${o.transactionId ?? '—'}</dd><dt>created</dt><dd>${iso(o.createdAt)}</dd>
      <dt>expires</dt><dd>${iso(o.expiresAt)}</dd><dt>paid</dt><dd>${iso(o.paidAt) || '—'}</dd>
      ${o.failure ? html`<dt>failure</dt><dd class="error">${o.failure}</dd>` : ''}</dl></section>
    ${simulator(csrf, base, t)}</div>
  <h2 id="history-h">History <span class="muted">(business time)</span></h2>
  <ol aria-labelledby="history-h" id="history">${t.history.map(
    (h) => html`<li><time>${iso(h.at)}</time> ${h.from ?? '∅'} → <strong>${h.to}</strong>
    <span class="muted">${h.cause}, ${h.protocol}${h.requestId ? html`, request <code>${h.requestId}</code>` : ''}${h.refundId ? html`, refund ${h.refundId}` : ''}</span></li>`,
  )}</ol>
  <h2 id="refunds-h">Refunds</h2>
  ${
    t.refunds.length === 0
      ? html`<p class="muted">None.</p>`
      : html`<div class="table-wrap"><table aria-labelledby="refunds-h"><thead><tr><th scope="col">refund_id</th>
    <th scope="col">out_refund_no</th><th scope="col">cause</th><th scope="col">amount</th><th scope="col">status</th><th scope="col">created</th><th scope="col">settled</th></tr></thead><tbody>
    ${t.refunds.map(
      (r) => html`<tr><td>${r.refundId}</td><td>${r.outRefundNo ?? '—'}</td><td>${r.cause}</td><td>${r.amount} ${r.currency}</td>
      <td class="state">${r.status}</td><td>${iso(r.createdAt)}</td><td>${iso(r.successAt)}</td></tr>`,
    )}</tbody></table></div>`
  }
  <h2 id="notify-h">Notifications</h2>
  ${
    t.notifications.length === 0
      ? html`<p class="muted">None queued.</p>`
      : html`<ul aria-labelledby="notify-h">${t.notifications.map(
          (n) => html`<li>
    <strong>${n.kind}</strong> → <code>${n.url}</code>: ${n.status}, ${n.attempts} attempt(s)
    ${
      n.attemptLog.length
        ? html`<ol>${n.attemptLog.map(
            (a) => html`<li>${iso(a.at)}: ${a.statusCode ?? a.error ?? 'no answer'}
      ${a.acknowledged ? html`<span class="ok">acknowledged</span>` : html`<span class="error">not acknowledged</span>`}
      ${a.response ? html`<code>${a.response.slice(0, 200)}</code>` : ''} (${a.durationMs} ms)</li>`,
          )}</ol>`
        : ''
    }</li>`,
        )}</ul>`
  }
  ${
    t.faults === null
      ? ''
      : html`<h2 id="faults-h">Fired faults</h2>${
          t.faults.length === 0
            ? html`<p class="muted">None.</p>`
            : html`<ul aria-labelledby="faults-h">${t.faults.map((f) => html`<li><code>${JSON.stringify(f)}</code></li>`)}</ul>`
        }`
  }
  <h2 id="requests-h">API requests</h2>
  ${requestRows(t.requests)}`;
}

export function orderPage(csrf: string, t: OrderTimeline, live: { html: Html; version: string; url: string }): string {
  const o = t.order;
  return page(
    { title: `Order ${o.outTradeNo}`, csrf, nav: 'merchants' },
    html`
    <p><a href="/dashboard/merchants/${o.mchid}">← merchant ${o.mchid}</a></p>
    <h1>Order ${o.outTradeNo}</h1>
    <section id="live" data-live="${live.url}" data-version="${live.version}" aria-live="polite">${live.html}</section>`,
  );
}
