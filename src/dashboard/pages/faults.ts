/**
 * One merchant's fault plan (the fault lab): the definitions with how often each has fired, the add form and
 * remove buttons. The form's fields are the sandbox API's (docs/fault-lab.md); `parseFaultDefinition` checks them.
 */
import { FAULT_COMMITS, FAULT_DIALECTS, FAULT_EFFECTS, FAULT_OPERATIONS, MAX_FAULT_DELAY_MS, type StoredFault } from '../../core/faults.ts';
import { csrfField, html, iso, page, postButton } from '../html.ts';

/** The add form's fields as typed: kept when a definition is refused, so nothing has to be entered again. */
export type FaultForm = Partial<Record<'operation' | 'dialect' | 'out_trade_no' | 'effect' | 'commit' | 'delay_ms' | 'times', string>>;

/** A refused definition: the field `parseFaultDefinition` named, and its message. */
export interface FaultRefusal {
  readonly field: string;
  readonly message: string;
}

/**
 * The form's strings as a definition: empty fields are left out (the defaults apply), digits become numbers,
 * anything else stays a string so that the check names the field.
 */
export function faultInputOf(form: FaultForm): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of ['operation', 'dialect', 'out_trade_no', 'effect', 'commit', 'delay_ms', 'times'] as const) {
    const v = form[key];
    if (typeof v !== 'string' || v === '') continue;
    input[key] = (key === 'delay_ms' || key === 'times') && /^\d{1,9}$/.test(v) ? Number(v) : v;
  }
  return input;
}

function select(name: keyof FaultForm, label: string, values: readonly string[], form: FaultForm, empty: string | null, invalid: boolean) {
  return html`<label for="fault-${name}">${label}<select id="fault-${name}" name="${name}" ${invalid ? html`aria-invalid="true" aria-describedby="fault-error"` : ''}>
    ${empty === null ? '' : html`<option value="">${empty}</option>`}
    ${values.map((v) => html`<option value="${v}" ${v === form[name] ? html`selected` : ''}>${v}</option>`)}</select></label>`;
}

export function faultsPage(csrf: string, mchid: string, faults: readonly StoredFault[], form: FaultForm = {}, refusal?: FaultRefusal): string {
  const base = `/dashboard/merchants/${mchid}/faults`;
  const bad = (field: string) => refusal?.field === field;
  const input = (name: 'out_trade_no' | 'delay_ms' | 'times', label: string, attrs: ReturnType<typeof html>) =>
    html`<label for="fault-${name}">${label}<input id="fault-${name}" name="${name}" value="${form[name] ?? ''}" ${attrs} ${bad(name) ? html`aria-invalid="true" aria-describedby="fault-error"` : ''}></label>`;
  return page(
    { title: `Faults of ${mchid}`, csrf, nav: 'merchants' },
    html`
    <p><a href="/dashboard/merchants/${mchid}">← merchant ${mchid}</a></p>
    <h1>Faults of merchant ${mchid}</h1>
    <p class="muted">What the gateway gets wrong on purpose for this merchant: the oldest live matching fault fires, once per call, until its times are used up.</p>
    <section class="card" aria-labelledby="add-fault-h"><h2 id="add-fault-h">Add a fault</h2>
      ${refusal ? html`<p class="alert" role="alert" id="fault-error">Not added — <strong>${refusal.field}</strong>: ${refusal.message}</p>` : ''}
      <form method="post" action="${base}" class="stack">${csrfField(csrf)}
        ${select('operation', 'Operation', FAULT_OPERATIONS, form, null, bad('operation'))}
        ${select('dialect', 'Dialect', FAULT_DIALECTS, form, 'any', bad('dialect'))}
        ${input('out_trade_no', 'out_trade_no (optional)', html`maxlength="64" size="18"`)}
        ${select('effect', 'Effect', FAULT_EFFECTS, form, null, bad('effect'))}
        ${select('commit', 'Commit', FAULT_COMMITS, form, 'default', bad('commit'))}
        ${input('delay_ms', 'Delay (ms, optional)', html`inputmode="numeric" size="8" placeholder="0…${MAX_FAULT_DELAY_MS}"`)}
        ${input('times', 'Times (optional)', html`inputmode="numeric" size="6" placeholder="1"`)}
        <button type="submit">Add fault</button></form></section>
    <h2 id="plan-h">Fault plan</h2>
    <div class="table-wrap"><table aria-labelledby="plan-h"><thead><tr><th scope="col">operation</th><th scope="col">dialect</th><th scope="col">out_trade_no</th>
      <th scope="col">effect</th><th scope="col">commit</th><th scope="col">delay</th><th scope="col">times</th><th scope="col">fired</th>
      <th scope="col">remaining</th><th scope="col">added (wall)</th><th scope="col"><span class="muted">action</span></th></tr></thead>
      <tbody id="fault-plan">${
        faults.length === 0
          ? html`<tr><td colspan="11" class="muted">No faults: every call behaves.</td></tr>`
          : faults.map(
              (f) => html`<tr>
        <td>${f.operation}</td><td>${f.dialect ?? 'any'}</td><td>${f.outTradeNo ?? 'any'}</td><td>${f.effect}</td><td>${f.commit ?? '—'}</td>
        <td>${f.delayMs} ms</td><td>${f.times}</td><td>${f.fired}</td><td class="${f.fired >= f.times ? 'muted' : 'state'}">${Math.max(0, f.times - f.fired)}</td>
        <td>${iso(f.createdAt)}</td><td><form method="post" action="${base}/${f.id}/remove" class="inline">${csrfField(csrf)}
          <button type="submit" class="secondary" aria-label="Remove fault ${f.id}: ${f.operation} ${f.effect}">Remove</button></form></td></tr>`,
            )
      }</tbody></table></div>
    ${faults.length ? html`<p>${postButton(`${base}/clear`, 'Remove all faults', csrf, {}, 'secondary')}</p>` : ''}`,
  );
}
