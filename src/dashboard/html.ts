/**
 * Server-rendered HTML with escaping by default: `html\`…${value}…\`` escapes every interpolation unless it is
 * itself `html` (or a list of them). A tagged template instead of a template engine: the pages are small and
 * this keeps one rule — nothing reaches the page unescaped by accident.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new Html(out);
}

export const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined
    ? ''
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');

export interface PageContext {
  readonly title: string;
  /** Present when signed in: the CSRF token every form carries, and the sign-out button. */
  readonly csrf?: string;
  readonly nav?: 'merchants' | 'requests';
}

/** A hidden CSRF field for a form of the signed-in user. */
export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

/** A one-button form (POST + CSRF): every state change in the dashboard is one of these or a full form. */
export function postButton(action: string, label: string, csrf: string, extra: Record<string, string> = {}, cls = ''): Html {
  const fields = Object.entries(extra).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form method="post" action="${action}" class="inline">${csrfField(csrf)}${fields}<button type="submit" class="${cls}">${label}</button></form>`;
}

export function page(ctx: PageContext, body: Html): string {
  const nav = ctx.csrf
    ? html`<nav aria-label="Main"><a href="/dashboard" ${ctx.nav === 'merchants' ? html`aria-current="page"` : ''}>Merchants</a>
        <a href="/dashboard/requests" ${ctx.nav === 'requests' ? html`aria-current="page"` : ''}>Request log</a>
        ${postButton('/dashboard/logout', 'Sign out', ctx.csrf, {}, 'link')}</nav>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${ctx.title} · tradegate</title><link rel="stylesheet" href="/dashboard/assets/app.css">
<script src="/dashboard/assets/app.js" defer></script></head>
<body><header><a class="brand" href="/dashboard">tradegate</a>${nav}</header>
<main id="main">${body}</main></body></html>`.text;
}
