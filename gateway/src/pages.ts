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
  return page('Login failed', `<p class="error" role="alert">${escape(message)}</p><p>Reason code: <code>${escape(code)}</code></p><p><a href="/login">Back to login</a></p>`);
}
