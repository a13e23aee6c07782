/** The request log and inspector: every API request, filterable; refused authentications explained. */
import type { StoredRequest } from '../../request-log/store.ts';
import type { AuthDiagnostics } from '../../request-log/note.ts';
import type { RequestQuery } from '../../request-log/routes.ts';
import { html, iso, page, type Html } from '../html.ts';

export function diagnosticsBlock(d: AuthDiagnostics): Html {
  return html`<details class="diagnostics"><summary>Why: ${d.reason}</summary><dl class="facts">
    ${d.key ? html`<dt>verified with</dt><dd>${d.key}</dd>` : ''}
    ${d.sign_type ? html`<dt>sign type</dt><dd>${d.sign_type}</dd>` : ''}
    ${d.received_signature_prefix ? html`<dt>signature received</dt><dd><code>${d.received_signature_prefix}</code></dd>` : ''}
    ${d.valid_serials ? html`<dt>valid serials</dt><dd>${d.valid_serials.join(', ')}</dd>` : ''}</dl>
    ${
      d.expected_signing_string !== undefined
        ? html`<p>Expected signing string (exact bytes; <code>\\n</code> shown as line breaks):</p>
      <pre class="signing-string">${d.expected_signing_string}</pre>`
        : ''
    }</details>`;
}

export function requestsPage(csrf: string, q: RequestQuery, rows: readonly StoredRequest[], next: string | null): string {
  const keep = new URLSearchParams(
    Object.entries(q)
      .filter(([k, v]) => k !== 'cursor' && k !== 'limit' && v !== undefined && v !== '')
      .map(([k, v]) => [k, String(v)]),
  );
  const nextHref = next ? `/dashboard/requests?${new URLSearchParams([...keep, ['cursor', next]]).toString()}` : null;
  return page(
    { title: 'Request log', csrf, nav: 'requests' },
    html`
    <h1 id="log-h">Request log</h1>
    <form method="get" action="/dashboard/requests" class="filters" aria-label="Filter requests">
      <label for="r-mchid">Merchant<input id="r-mchid" name="mchid" value="${q.mchid ?? ''}" inputmode="numeric" size="14"></label>
      <label for="r-status">HTTP status<input id="r-status" name="status" type="number" min="100" max="599" value="${q.status ?? ''}" size="5"></label>
      <label for="r-code">Error code<input id="r-code" name="error_code" value="${q.error_code ?? ''}" size="16"></label>
      <button type="submit">Filter</button> <a href="/dashboard/requests">Clear</a>
    </form>
    <p class="muted">APIv2 and PayCloud answer refusals with HTTP 200: filter them by error code (APIv2 return-level refusals: <code>FAIL</code>).</p>
    <div class="table-wrap"><table aria-labelledby="log-h"><thead><tr><th scope="col">time (wall)</th><th scope="col">merchant</th><th scope="col">dialect</th>
      <th scope="col">operation</th><th scope="col">status</th><th scope="col">error code</th><th scope="col">latency</th><th scope="col">request id</th></tr></thead><tbody>
      ${
        rows.length === 0
          ? html`<tr><td colspan="8" class="muted">No requests match.</td></tr>`
          : rows.map(
              (r) => html`<tr class="${r.diagnostics ? 'refused' : ''}">
        <td>${iso(r.at)}</td><td>${r.mchid ? html`<a href="/dashboard/merchants/${r.mchid}">${r.mchid}</a>` : '—'}</td><td>${r.dialect}</td>
        <td>${r.operation ?? ''}<br><span class="muted">${r.method} ${r.path}</span>${r.diagnostics ? diagnosticsBlock(r.diagnostics) : ''}</td>
        <td>${r.status}</td><td class="${r.error_code ? 'error' : ''}">${r.error_code ?? ''}${r.message ? html`<br><span class="muted">${r.message}</span>` : ''}</td>
        <td>${r.latency_ms.toFixed(1)} ms</td><td><code>${r.request_id}</code></td></tr>`,
            )
      }</tbody></table></div>
    ${nextHref ? html`<p><a href="${nextHref}" rel="next">Older requests</a></p>` : ''}`,
  );
}
