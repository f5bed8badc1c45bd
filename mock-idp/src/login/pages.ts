import type { IdpUser } from '../directory/user.ts';
import type { SamlAttribute } from '../saml/response.ts';
import type { SamlDelivery } from '../saml/sso-service.ts';

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}.error{color:#a00}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

/** The login page: pick a user, or type a username and password; shows what each user would send. */
export function loginPage(options: {
  action: string;
  spName: string;
  users: { user: IdpUser; attributes: SamlAttribute[] }[];
  faults: readonly string[];
  error?: string;
}): string {
  // One select per form, so that picking a user or typing a password both carry it.
  const faultSelect = `<label>Fault <select name="fault"><option value="">none</option>${options.faults.map((f) => `<option>${escape(f)}</option>`).join('')}</select></label>`;
  const pick = options.users
    .filter(({ user }) => user.active)
    .map(({ user, attributes }) => {
      const rows = attributes
        .filter((a) => a.values.length)
        .map((a) => `<tr><td>${escape(a.name)}</td><td>${escape(a.values.join(', '))}</td></tr>`)
        .join('');
      return `<li><form method="post" action="${escape(options.action)}"><input type="hidden" name="user" value="${escape(user.id)}">${faultSelect} <button type="submit" name="pick" value="1">Log in as ${escape(user.displayName)} (${escape(user.email)})</button></form><details><summary>Attributes sent</summary><table>${rows}</table></details></li>`;
    })
    .join('');
  return page(
    `Log in to ${options.spName}`,
    `${options.error ? `<p class="error" role="alert">${escape(options.error)}</p>` : ''}
<form method="post" action="${escape(options.action)}"><label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label> ${faultSelect} <button type="submit">Log in</button></form>
<h2>Or pick a user</h2><ul>${pick}</ul>`,
  );
}

/** The simulated second factor. */
export function mfaPage(options: { action: string; email: string; error?: string }): string {
  return page(
    'Verify your identity',
    `${options.error ? `<p class="error" role="alert">${escape(options.error)}</p>` : ''}<p>Enter the code for ${escape(options.email)}.</p>
<form method="post" action="${escape(options.action)}"><label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code"></label> <button type="submit">Verify</button></form>`,
  );
}

/** The HTTP-POST binding: a form the browser submits to the ACS by itself. */
export function autoPostForm(delivery: Pick<SamlDelivery, 'acsUrl' | 'samlResponse' | 'relayState'>): string {
  const relay = delivery.relayState === undefined ? '' : `<input type="hidden" name="RelayState" value="${escape(delivery.relayState)}">`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in…</title></head><body onload="document.forms[0].submit()">
<form method="post" action="${escape(delivery.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${escape(delivery.samlResponse)}">${relay}<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}

/** IdP-initiated logout: who is signed in here, which SPs will be told, and the button. */
export function logoutPage(options: { user?: string; serviceProviders: string[]; csrf: string }): string {
  if (!options.user) return page('Log out', '<p>This browser is not signed in to the IdP.</p>');
  const sps = options.serviceProviders.map((sp) => `<li>${escape(sp)}</li>`).join('');
  return page(
    'Log out',
    `<p>Signed in as ${escape(options.user)}.</p>${sps ? `<p>Each service provider you logged in to is told in turn:</p><ul>${sps}</ul>` : '<p>You have not logged in to any service provider.</p>'}
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${escape(options.csrf)}"><button type="submit">Log out everywhere</button></form>`,
  );
}

/** The outcome of a single logout, SP by SP. */
export function logoutDonePage(logout: { status: string; steps: { sp: string; outcome: string; detail?: string }[] }): string {
  const rows = logout.steps.map((s) => `<tr><td>${escape(s.sp)}</td><td>${escape(s.outcome)}</td><td>${escape(s.detail ?? '')}</td></tr>`).join('');
  const title = logout.status === 'partial' ? 'Logged out, partly' : 'Logged out';
  return page(
    title,
    `<p>Status: <code>${escape(logout.status)}</code></p>${rows ? `<table><tr><th>Service provider</th><th>Outcome</th><th></th></tr>${rows}</table>` : ''}`,
  );
}

export function errorPage(code: string, message: string): string {
  return page('Login failed', `<p class="error" role="alert">${escape(message)}</p><p>Reason code: <code>${escape(code)}</code></p>`);
}
