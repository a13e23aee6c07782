/** Merchants: the list (sub-merchants under their provider) and the create form. */
import type { MerchantProfile } from '../../core/merchant.ts';
import { csrfField, html, iso, page, type Html } from '../html.ts';

function row(m: MerchantProfile, sub = false): Html {
  return html`<tr>
    <td class="${sub ? 'sub' : ''}"><a href="/dashboard/merchants/${m.mchid}">${m.mchid}</a></td>
    <td>${m.kind.replace('_', ' ')}${m.parentMchid ? html` of <a href="/dashboard/merchants/${m.parentMchid}">${m.parentMchid}</a>` : ''}</td>
    <td>${m.region}</td><td>${m.appid}</td><td>${iso(m.createdAt)}</td>
    <td><a href="/dashboard/merchants/${m.mchid}/credentials.json" download>credentials JSON</a></td></tr>`;
}

export function merchantsPage(csrf: string, merchants: readonly MerchantProfile[], next: string | null, providers: readonly MerchantProfile[]): string {
  const shown = new Set(merchants.map((m) => m.mchid));
  // Sub-merchants are listed right under their provider when both are on this page.
  const rows: Html[] = [];
  for (const m of merchants) {
    if (m.kind === 'sub_merchant' && m.parentMchid && shown.has(m.parentMchid)) continue;
    rows.push(row(m));
    if (m.kind === 'service_provider') for (const s of merchants.filter((x) => x.parentMchid === m.mchid)) rows.push(row(s, true));
  }
  return page(
    { title: 'Merchants', csrf, nav: 'merchants' },
    html`
    <h1>Merchants</h1>
    <section class="card" aria-labelledby="create-h">
      <h2 id="create-h">Create a merchant</h2>
      <form method="post" action="/dashboard/merchants" class="stack">${csrfField(csrf)}
        <label for="mode">Mode<select id="mode" name="mode">
          <option value="direct">direct</option><option value="service_provider">service provider</option>
          <option value="sub_merchant">sub-merchant</option><option value="global">global (direct, Global/HK)</option></select></label>
        <label for="sp_mchid">Provider (sub-merchants)<select id="sp_mchid" name="sp_mchid"><option value="">—</option>
          ${providers.map((p) => html`<option value="${p.mchid}">${p.mchid}</option>`)}</select></label>
        <label for="new_mchid">mchid (optional)<input id="new_mchid" name="mchid" pattern="[0-9]{6,12}" inputmode="numeric" size="14"></label>
        <button type="submit">Create</button>
      </form>
    </section>
    <div class="table-wrap"><table><caption class="muted">Sub-merchants are indented under their service provider.</caption>
      <thead><tr><th scope="col">mchid</th><th scope="col">mode</th><th scope="col">region</th><th scope="col">appid</th><th scope="col">created</th><th scope="col">credentials</th></tr></thead>
      <tbody>${rows}</tbody></table></div>
    ${next ? html`<p><a href="/dashboard?cursor=${next}" rel="next">Next page</a></p>` : ''}`,
  );
}
