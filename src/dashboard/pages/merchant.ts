/** One merchant: its business clock and its orders (filters, keyset pages). */
import type { MerchantProfile } from '../../core/merchant.ts';
import type { Order } from '../../core/order.ts';
import { ORDER_DIALECTS, ORDER_STATES, TRADE_TYPES, type OrderQuery } from '../../sandbox/list-routes.ts';
import { csrfField, html, iso, page, postButton } from '../html.ts';

export const CLOCK_PRESETS: readonly [string, number][] = [
  ['15 s', 15],
  ['5 min', 300],
  ['1 day', 86_400],
  ['7 days', 604_800],
];

const money = (o: Order) => `${o.amount} ${o.currency}`;

function select(name: string, label: string, values: readonly string[], current: string | undefined) {
  return html`<label for="f-${name}">${label}<select id="f-${name}" name="${name}"><option value="">any</option>
    ${values.map((v) => html`<option value="${v}" ${v === current ? html`selected` : ''}>${v}</option>`)}</select></label>`;
}

export function merchantPage(csrf: string, m: MerchantProfile, nowMs: number, q: OrderQuery, orders: readonly Order[], next: string | null): string {
  const base = `/dashboard/merchants/${m.mchid}`;
  const keep = new URLSearchParams(
    Object.entries(q)
      .filter(([k, v]) => k !== 'cursor' && v !== undefined && v !== '')
      .map(([k, v]) => [k, String(v)]),
  );
  const nextHref = next ? `${base}?${new URLSearchParams([...keep, ['cursor', next]]).toString()}` : null;
  const localInput = (v: string | undefined) => (v ? v.replace(/Z$/, '').slice(0, 16) : '');
  return page(
    { title: `Merchant ${m.mchid}`, csrf, nav: 'merchants' },
    html`
    <h1>Merchant ${m.mchid}</h1>
    <div class="grid">
      <section class="card" aria-labelledby="facts-h"><h2 id="facts-h">Facts</h2><dl class="facts">
        <dt>mode</dt><dd>${m.kind.replace('_', ' ')}</dd>
        ${m.parentMchid ? html`<dt>provider</dt><dd><a href="/dashboard/merchants/${m.parentMchid}">${m.parentMchid}</a></dd>` : ''}
        <dt>region</dt><dd>${m.region}</dd><dt>appid</dt><dd>${m.appid}</dd>
        <dt>credentials</dt><dd><a href="${base}/credentials.json" download>download JSON</a></dd>
        <dt>requests</dt><dd><a href="/dashboard/requests?mchid=${m.mchid}">request log</a></dd>
        <dt>faults</dt><dd><a href="${base}/faults">fault plan</a>${m.faultCount ? html` (${m.faultCount} live)` : ''}</dd></dl></section>
      <section class="card" aria-labelledby="clock-h"><h2 id="clock-h">Clock</h2>
        <p>Business time: <strong id="business-time">${iso(nowMs)}</strong> <span class="muted">(${m.clockOffsetMs / 1000} s ahead of the wall clock)</span></p>
        <p>Advance by: ${CLOCK_PRESETS.map(([label, s]) => postButton(`${base}/clock`, label, csrf, { advance_seconds: String(s) }, 'secondary'))}</p>
        <form method="post" action="${base}/clock" class="stack">${csrfField(csrf)}
          <label for="advance">Seconds<input id="advance" name="advance_seconds" type="number" min="0" step="1" required size="10"></label>
          <button type="submit">Advance</button></form></section>
    </div>
    <h2 id="orders-h">Orders</h2>
    <form method="get" action="${base}" class="filters" aria-labelledby="orders-h">
      ${select('state', 'State', ORDER_STATES, q.state)}
      ${select('dialect', 'Dialect', ORDER_DIALECTS, q.dialect)}
      ${select('trade_type', 'Trade type', TRADE_TYPES, q.trade_type)}
      <label for="f-prefix">out_trade_no starts with<input id="f-prefix" name="out_trade_no_prefix" value="${q.out_trade_no_prefix ?? ''}" maxlength="64"></label>
      <label for="f-from">Created from (UTC)<input id="f-from" name="created_from" type="datetime-local" value="${localInput(q.created_from)}"></label>
      <label for="f-to">Created before (UTC)<input id="f-to" name="created_to" type="datetime-local" value="${localInput(q.created_to)}"></label>
      <button type="submit">Filter</button> <a href="${base}">Clear</a>
    </form>
    <div class="table-wrap"><table aria-labelledby="orders-h"><thead><tr><th scope="col">out_trade_no</th><th scope="col">state</th><th scope="col">amount</th>
      <th scope="col">trade type</th><th scope="col">dialect</th><th scope="col">created (business time)</th><th scope="col">transaction_id</th></tr></thead>
      <tbody>${
        orders.length === 0
          ? html`<tr><td colspan="7" class="muted">No orders match.</td></tr>`
          : orders.map(
              (o) => html`<tr>
        <td><a href="${base}/orders/${encodeURIComponent(o.outTradeNo)}">${o.outTradeNo}</a></td><td class="state">${o.state}</td><td>${money(o)}</td>
        <td>${o.tradeType}</td><td>${o.protocol}</td><td>${iso(o.createdAt)}</td><td>${o.transactionId ?? ''}</td></tr>`,
            )
      }</tbody></table></div>
    ${nextHref ? html`<p><a href="${nextHref}" rel="next">Next page</a></p>` : ''}`,
  );
}
