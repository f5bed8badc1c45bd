/**
 * Builds XML that is already in Exclusive XML Canonicalization form (exc-c14n,
 * no comments): attributes sorted, namespace declarations first, empty elements
 * written as start/end pairs, text and attribute values escaped the canonical way.
 * A signature's digest can then be taken over the string we wrote instead of a
 * re-parse and canonicalization of it. This holds for a signed element as long
 * as it declares, on itself, every namespace it and its descendants use.
 */

export type Attributes = Record<string, string | number | undefined>;

export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

export function escapeAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[c]!);
}

/** XML 1.0 forbids most control characters even escaped: drop them rather than emit a broken document. */
export function xmlSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
}

function rank(name: string): [number, string] {
  if (name === 'xmlns') return [0, ''];
  if (name.startsWith('xmlns:')) return [1, name.slice(6)];
  return [2, name];
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `<name attrs>children</name>` in canonical form; undefined attributes are left out. */
export function element(name: string, attributes: Attributes, ...children: string[]): string {
  const names = Object.keys(attributes).filter((k) => attributes[k] !== undefined);
  names.sort((a, b) => {
    const [ra, ka] = rank(a);
    const [rb, kb] = rank(b);
    return ra - rb || byCodePoint(ka, kb);
  });
  let open = `<${name}`;
  for (const key of names) open += ` ${key}="${escapeAttribute(xmlSafe(String(attributes[key])))}"`;
  return `${open}>${children.join('')}</${name}>`;
}

/** An element holding only text. */
export function textElement(name: string, attributes: Attributes, text: string): string {
  return element(name, attributes, escapeText(xmlSafe(text)));
}
