import type { ClockState } from '@rehearsal/runtime/client';
import { html, type Html, type Printable } from './html.ts';

/** The pages of an organization, in the order of the navigation. */
export const PAGES = [
  { path: '', title: 'Overview' },
  { path: '/people', title: 'People' },
  { path: '/rollout', title: 'Rollout' },
  { path: '/provisioning', title: 'Provisioning' },
  { path: '/billing', title: 'Billing' },
  { path: '/logins', title: 'Logins' },
  { path: '/clock', title: 'Clock' },
] as const;

export interface Frame {
  title: string;
  /** The signed-in session's CSRF token (the sign-out form needs it); absent on the sign-in page. */
  csrf?: string;
  org?: { id: string; name: string };
  /** The path of the page (for the navigation's current item). */
  current?: string;
  clock?: ClockState;
  notice?: { kind: 'ok' | 'error'; text: string };
}

/** How far the stack's clock is from real time, in words: nobody should forget time has moved. */
export function clockWords(clock: ClockState): string {
  const minutes = Math.round(clock.offsetMs / 60_000);
  const moved =
    minutes === 0
      ? 'real time'
      : `${minutes > 0 ? '+' : '-'}${Math.floor(Math.abs(minutes) / 1440) ? `${Math.floor(Math.abs(minutes) / 1440)}d ` : ''}${Math.floor((Math.abs(minutes) % 1440) / 60)}h ${Math.abs(minutes) % 60}m from real time`;
  return `${clock.now.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (${clock.frozen ? 'frozen, ' : ''}${moved})`;
}

/** A whole page: header with the stack's clock, navigation, the page's own content. */
export function page(frame: Frame, content: Printable): Html {
  const base = frame.org ? `/orgs/${encodeURIComponent(frame.org.id)}` : '';
  const clock = frame.clock;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${frame.title} · Rehearsal console</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">Rehearsal console</a>
          ${frame.org ? html`<span class="org">${frame.org.name}</span>` : ''}
          ${
            clock
              ? html`<a
                  class="clock${clock.frozen || clock.offsetMs ? ' moved' : ''}"
                  href="${base || ''}/clock"
                  id="stack-clock"
                  aria-live="polite"
                  title="The stack's shared clock"
                  >Stack time: <span data-clock>${clockWords(clock)}</span></a
                >`
              : ''
          }
          ${
            frame.csrf
              ? html`<form method="post" action="/sign-out" class="sign-out">
                  <input type="hidden" name="csrf" value="${frame.csrf}" /><button type="submit">Sign out</button>
                </form>`
              : ''
          }
        </header>
        ${
          frame.org
            ? html`<nav class="pages" aria-label="Pages">
                ${PAGES.map((p) => html`<a href="${base}${p.path}" ${frame.current === p.path ? html` aria-current="page"` : ''}>${p.title}</a>`)}
              </nav>`
            : ''
        }
        <main id="main">
          <h1>${frame.title}</h1>
          ${frame.notice ? html`<p class="notice ${frame.notice.kind}" role="${frame.notice.kind === 'error' ? 'alert' : 'status'}">${frame.notice.text}</p>` : ''}
          ${content}
        </main>
      </body>
    </html> `;
}

/** A form field's message, beside it (and tied to it for screen readers by `aria-describedby`). */
export const fieldError = (id: string, errors: Record<string, string>) =>
  errors[id] ? html`<span class="field-error" id="${id}-error" role="alert">${errors[id]}</span>` : '';

export const describedBy = (id: string, errors: Record<string, string>) => (errors[id] ? html` aria-invalid="true" aria-describedby="${id}-error"` : '');

/** A table with a caption; rows already rendered. */
export const table = (caption: string, headers: string[], rows: Printable[], empty = 'Nothing here.') =>
  html`<div class="table-wrap">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${
          (rows as unknown[]).length
            ? rows
            : html`<tr>
                <td colspan="${headers.length}">${empty}</td>
              </tr>`
        }
      </tbody>
    </table>
  </div>`;

/** Options of a select, the chosen one selected. */
export const options = (choices: { value: string; label: string }[], chosen: string | undefined) =>
  choices.map((c) => html`<option value="${c.value}" ${c.value === (chosen ?? '') ? html` selected` : ''}>${c.label}</option>`);

export interface Choice {
  value: string;
  label: string;
}

export const ANY: Choice = { value: '', label: 'any' };
export const UNCHANGED: Choice = { value: '', label: 'unchanged' };

/** Keep as it is, yes or no: a boolean setting a form may leave alone. */
export const UNCHANGED_YES_NO: Choice[] = [UNCHANGED, { value: 'true', label: 'yes' }, { value: 'false', label: 'no' }];

/**
 * A labelled select with its message beside it. Errors are keyed by the field's
 * name; `id` differs from the name only where two forms of a page share a name.
 */
export function selectField(field: {
  name: string;
  id?: string;
  label: Printable;
  choices: Choice[];
  chosen: string | undefined;
  errors: Record<string, string>;
  required?: boolean;
}) {
  const id = field.id ?? field.name;
  return html`<div class="field">
    <label for="${id}">${field.label}</label
    ><select id="${id}" name="${field.name}" ${field.required ? html` required` : ''}${describedBy(field.name, field.errors)}>
      ${options(field.choices, field.chosen)}</select
    >${fieldError(field.name, field.errors)}
  </div>`;
}

/** The policies of an organization to choose from, none chosen first. */
export const policyChoices = (policies: { id: string; name: string }[]): Choice[] => [
  { value: '', label: 'Choose a policy' },
  ...policies.map((p) => ({ value: p.id, label: p.name })),
];

/** A labelled text input with its message beside it (errors keyed by the field's name). */
export function inputField(field: {
  name: string;
  label: Printable;
  value: string;
  errors: Record<string, string>;
  type?: 'text' | 'search';
  placeholder?: string;
  required?: boolean;
}) {
  return html`<div class="field">
    <label for="${field.name}">${field.label}</label
    ><input
      id="${field.name}"
      name="${field.name}"
      type="${field.type ?? 'text'}"
      value="${field.value}"
      ${field.placeholder ? html` placeholder="${field.placeholder}"` : ''}${field.required ? html` required` : ''}${describedBy(field.name, field.errors)}
    />${fieldError(field.name, field.errors)}
  </div>`;
}
