const escape = (value: string) => value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}.error{color:#a00}code{background:#f4f4f4;padding:0 .2rem}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

/** Step one: who is logging in. The decision about how comes from core. */
export function emailPage(options: { csrf: string; relayState?: string; notice?: { code: string; message: string } }): string {
  const notice = options.notice ? `<p class="error" role="alert">${escape(options.notice.message)} <code>${escape(options.notice.code)}</code></p>` : '';
  const relay = options.relayState ? `<input type="hidden" name="relayState" value="${escape(options.relayState)}">` : '';
  return page(
    'Log in to Rehearsal',
    `${notice}<form method="post" action="/login"><input type="hidden" name="csrf" value="${escape(options.csrf)}">${relay}
<label>Email <input name="email" type="email" autocomplete="username" required autofocus></label> <button type="submit">Continue</button></form>`,
  );
}

/** A refused login or request: the reason code and what to do. */
export function reasonPage(code: string, message: string): string {
  return page(
    'Login failed',
    `<p class="error" role="alert">${escape(message)}</p><p>Reason code: <code>${escape(code)}</code></p><p><a href="/login">Back to login</a></p>`,
  );
}

/** The password form, for the password path. */
export function passwordPage(options: { email: string; csrf: string; relayState?: string; ssoToo: boolean }): string {
  const relay = options.relayState ? `<input type="hidden" name="relayState" value="${escape(options.relayState)}">` : '';
  const sso = options.ssoToo
    ? `<form method="post" action="/login"><input type="hidden" name="csrf" value="${escape(options.csrf)}"><input type="hidden" name="email" value="${escape(options.email)}"><input type="hidden" name="method" value="sso">${relay}<button type="submit">Log in with your identity provider instead</button></form>`
    : '';
  return page(
    `Password for ${options.email}`,
    `<form method="post" action="/login/password"><input type="hidden" name="csrf" value="${escape(options.csrf)}"><input type="hidden" name="email" value="${escape(options.email)}">${relay}
<label>Password <input name="password" type="password" autocomplete="current-password" required autofocus></label> <button type="submit">Log in</button></form>${sso}`,
  );
}

/** The step after the password: a new password, a TOTP code, or enrolment (secret, otpauth URI, QR code); with the last attempt's error, if any. */
export function localStepPage(options: {
  step: 'password-change' | 'two-step' | 'two-step-enrolment';
  email: string;
  csrf: string;
  secret?: string;
  otpauthUri?: string;
  qrSvg?: string;
  error?: { code: string; message: string };
}): string {
  const csrf = `<input type="hidden" name="csrf" value="${escape(options.csrf)}">`;
  const error = options.error ? `<p class="error" role="alert">${escape(options.error.message)} <code>${escape(options.error.code)}</code></p>` : '';
  if (options.step === 'password-change') {
    return page(
      'Choose a new password',
      `${error}<p>The password of ${escape(options.email)} has expired.</p><form method="post" action="/login/password/change">${csrf}<label>New password <input name="password" type="password" autocomplete="new-password" required></label> <button type="submit">Save</button></form>`,
    );
  }
  if (options.step === 'two-step') {
    return page(
      'Two-step verification',
      `${error}<form method="post" action="/login/two-step">${csrf}<label>Code from your authenticator app, or a recovery code <input name="code" autocomplete="one-time-code" required autofocus></label> <button type="submit">Verify</button></form>`,
    );
  }
  return page(
    'Set up two-step verification',
    `${error}<p>Your organization requires two-step verification. Scan this code with an authenticator app, or type the secret.</p>
<figure>${options.qrSvg ?? ''}</figure><p>Secret: <code>${escape(options.secret ?? '')}</code></p><p><a href="${escape(options.otpauthUri ?? '')}">Open in an authenticator app</a></p>
<form method="post" action="/login/two-step/enrol">${csrf}<label>Code shown by the app <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label> <button type="submit">Turn on</button></form>`,
  );
}

/** Recovery codes, shown once. */
export function recoveryCodesPage(codes: string[], next: string): string {
  return page(
    'Save your recovery codes',
    `<p>Each code works once, if you lose your phone. They are not shown again.</p><ul>${codes.map((c) => `<li><code>${escape(c)}</code></li>`).join('')}</ul><p><a href="${escape(next)}">Continue</a></p>`,
  );
}

/** A product's landing page: what core says this person may see there. */
export function productPage(product: string, summary: string, items: string[], csrf: string): string {
  return page(product, `<p>${escape(summary)}</p>${items.length ? `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>` : ''}${logoutForm(csrf)}`);
}

/** A product this person may not use, while logged in: not a failed login, and the session stays. */
export function noAccessPage(product: string, code: string, message: string, csrf: string): string {
  return page(
    `No access to ${product}`,
    `<p class="error" role="alert">${escape(message)}</p><p>Reason code: <code>${escape(code)}</code></p><p>You are still logged in. An admin of your organization gives product access.</p><p><a href="/">Home</a></p>${logoutForm(csrf)}`,
  );
}

/** Logging out is a form too: it carries the session's CSRF token. */
export const logoutForm = (csrf: string) =>
  `<form method="post" action="/logout"><input type="hidden" name="csrf" value="${escape(csrf)}"><button>Log out</button></form>`;

export function homePage(email: string, csrf: string): string {
  return page(
    'Rehearsal',
    `<p>Logged in as ${escape(email)}.</p><p><a href="/trello">Trello</a> · <a href="/jira">Jira</a> · <a href="/confluence">Confluence</a></p>${logoutForm(csrf)}`,
  );
}
