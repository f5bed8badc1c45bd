/**
 * HTML by tagged template: every interpolated value is escaped unless it is
 * already `Html` (a fragment built the same way), arrays are joined, and
 * null, undefined and false print nothing. Pages are built only this way, so
 * a name from a SCIM client or an IdP cannot become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Printable = Html | string | number | boolean | null | undefined | Printable[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function print(value: Printable): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(print).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Printable[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => (out += print(value) + strings[i + 1]!));
  return new Html(out);
}

/** A query string from the fields that have a value. */
export function query(fields: Record<string, string | number | boolean | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
