import type { Request, Response } from 'express';

/** A service's root: what it is and its main URLs, so the URL the banner prints answers something useful. */
export interface ServiceIndex {
  service: string;
  title: string;
  description: string;
  links: { path: string; label: string; note?: string }[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `GET /`: a small page for browsers, the same as JSON for API clients. */
export function sendIndex(req: Request, res: Response, index: ServiceIndex): void {
  if (req.accepts(['text/html', 'application/json']) === 'application/json') {
    res.json(index);
    return;
  }
  const links = index.links
    .map((l) => {
      // Templated paths ({directoryId}) are shown, not linked.
      const target = l.path.includes('{') ? `<code>${escapeHtml(l.path)}</code>` : `<a href="${escapeHtml(l.path)}"><code>${escapeHtml(l.path)}</code></a>`;
      return `<li>${target}: ${escapeHtml(l.label)}${l.note ? ` <small>(${escapeHtml(l.note)})</small>` : ''}</li>`;
    })
    .join('\n');
  res
    .type('html')
    .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(index.title)}</title>` +
        `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}</style></head>` +
        `<body><h1>${escapeHtml(index.title)}</h1><p>${escapeHtml(index.description)}</p><ul>\n${links}\n</ul></body></html>`,
    );
}
