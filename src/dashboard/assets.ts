/**
 * The dashboard's two static assets, kept as strings so that they ship with the compiled code and need no build
 * step or file lookup. Plain progressive enhancement: every page works without JavaScript (forms post and
 * redirect); the script only makes `[data-live]` regions update themselves by polling.
 */
export const APP_JS = `'use strict';
// Live regions: <section data-live="/dashboard/api/…" data-version="…"> polls its JSON {version, html}.
function watch(el) {
  var tick = function () {
    fetch(el.getAttribute('data-live'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 401) { window.location.href = '/dashboard/login'; return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (live) {
        if (live && live.version !== el.getAttribute('data-version')) {
          el.innerHTML = live.html;
          el.setAttribute('data-version', live.version);
        }
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, 1000); });
  };
  setTimeout(tick, 1000);
}
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-live]').forEach(watch);
});
`;

export const APP_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b57d0; --bad: #b3261e; --ok: #1a7f37; --bg: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header nav { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
a { color: var(--accent); }
a[aria-current="page"] { font-weight: 700; }
main { padding: 1rem; max-width: 1240px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; }
form.inline { display: inline; }
form.filters, form.stack { display: flex; flex-wrap: wrap; gap: .6rem; align-items: flex-end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.link { background: none; color: var(--accent); border: none; text-decoration: underline; padding: 0; }
button.secondary { background: #fff; color: var(--accent); }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #ffbf47; outline-offset: 1px; }
.state { font-weight: 700; } .error { color: var(--bad); } .ok { color: var(--ok); } .muted { color: var(--muted); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(280px, 100%), 1fr)); gap: 1rem; }
code, dd { overflow-wrap: anywhere; } figure { margin: 0; } .card { min-width: 0; } ol, ul { padding-left: 1.4rem; }
.qr img { width: 200px; height: 200px; image-rendering: pixelated; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f8fa; padding: .5rem; border-radius: 4px; font-size: .85rem; }
.alert { border-left: 4px solid var(--bad); background: #fdecea; padding: .6rem .8rem; margin-bottom: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; } dl.facts dt { color: var(--muted); }
.sub { padding-left: 1.5rem; }
@media (max-width: 600px) { main { padding: .5rem; } th, td { padding: .3rem; } }
`;
