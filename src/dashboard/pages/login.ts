/** The sign-in page: one labelled field for the admin token. */
import { html, page } from '../html.ts';

export function loginPage(message?: string): string {
  return page(
    { title: 'Sign in' },
    html`
    <h1>Sign in</h1>
    ${message ? html`<p class="alert" role="alert">${message}</p>` : ''}
    <form method="post" action="/dashboard/login" class="stack">
      <label for="token">Admin token
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="40">
      </label>
      <button type="submit">Sign in</button>
    </form>
    <p class="muted">The admin token is printed when the gateway starts and kept in the data directory (<code>admin-token</code>).</p>`,
  );
}
