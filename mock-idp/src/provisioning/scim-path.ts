/**
 * Target attributes of a mapping, as SCIM PATCH paths (RFC 7644 §3.5.2):
 * `userName`, `name.givenName`, `emails[type eq "work"].value`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
 * The same path reads the target's current value, writes the resource a POST
 * or PUT sends, and names the attribute in a PATCH operation.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface ScimPath {
  text: string;
  /** Extension schema URN, for extension attributes. */
  schema?: string;
  attribute: string;
  /** `emails[type eq "work"]`: the element of a multi-valued attribute. */
  filter?: { attribute: string; value: string };
  subAttribute?: string;
}

export type ScimValue = string | boolean;
export type ScimResource = Record<string, unknown>;

/** Attributes whose SCIM type is boolean; every other mapped value is a string. */
const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

const PATH = /^(?:(urn:[A-Za-z0-9.:_-]+):)?([A-Za-z][\w-]*)(?:\[\s*([A-Za-z][\w]*)\s+eq\s+"([^"]*)"\s*\])?(?:\.([A-Za-z][\w-]*))?$/;

/** Undefined when `text` is not a path this module understands. */
export function parseScimPath(text: string): ScimPath | undefined {
  const match = PATH.exec(text.trim());
  if (!match) return undefined;
  const [, schema, attribute, filterAttribute, filterValue, subAttribute] = match;
  if (filterAttribute !== undefined && subAttribute === undefined) return undefined;
  return {
    text: text.trim(),
    ...(schema ? { schema } : {}),
    attribute: attribute!,
    ...(filterAttribute !== undefined ? { filter: { attribute: filterAttribute, value: filterValue! } } : {}),
    ...(subAttribute ? { subAttribute } : {}),
  };
}

/** The mapped string as the attribute's SCIM type. */
export function typed(path: ScimPath, value: string): ScimValue {
  const name = path.subAttribute ?? path.attribute;
  return BOOLEAN_ATTRIBUTES.has(name) ? value.toLowerCase() === 'true' : value;
}

const caseless = (object: Record<string, unknown>, key: string) => Object.keys(object).find((k) => k.toLowerCase() === key.toLowerCase());

function container(resource: ScimResource, path: ScimPath, create: boolean): Record<string, unknown> | undefined {
  if (!path.schema) return resource;
  const key = caseless(resource, path.schema) ?? (create ? path.schema : undefined);
  if (key === undefined) return undefined;
  if (create && typeof resource[key] !== 'object') resource[key] = {};
  return resource[key] as Record<string, unknown> | undefined;
}

/** The target's current value at `path`, or undefined. Attribute names compare case-insensitively, as SCIM says. */
export function readPath(resource: ScimResource, path: ScimPath): ScimValue | undefined {
  const holder = container(resource, path, false);
  if (!holder) return undefined;
  const key = caseless(holder, path.attribute);
  let value = key === undefined ? undefined : holder[key];
  if (path.filter) {
    const items = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
    const item = items.find((e) => {
      const k = caseless(e, path.filter!.attribute);
      return k !== undefined && String(e[k]).toLowerCase() === path.filter!.value.toLowerCase();
    });
    value = item?.[caseless(item, path.subAttribute!) ?? ''];
  } else if (path.subAttribute) {
    const sub = value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    value = sub?.[caseless(sub, path.subAttribute) ?? ''];
  }
  return typeof value === 'string' || typeof value === 'boolean'
    ? value
    : value === undefined || value === null
      ? undefined
      : typeof value === 'number'
        ? String(value)
        : JSON.stringify(value);
}

/**
 * Writes `value` at `path` into a resource being built for a POST or PUT. The
 * first element of a multi-valued attribute is marked primary, as Entra and
 * Okta send the work email.
 */
export function writePath(resource: ScimResource, path: ScimPath, value: ScimValue): void {
  const holder = container(resource, path, true)!;
  if (path.filter) {
    const items = (holder[path.attribute] ??= []) as Record<string, unknown>[];
    let item = items.find((e) => String(e[path.filter!.attribute]).toLowerCase() === path.filter!.value.toLowerCase());
    if (!item) {
      item = { [path.filter.attribute]: path.filter.value, ...(items.length === 0 ? { primary: true } : {}) };
      items.push(item);
    }
    item[path.subAttribute!] = value;
  } else if (path.subAttribute) {
    const sub = (holder[path.attribute] ??= {}) as Record<string, unknown>;
    sub[path.subAttribute] = value;
  } else {
    holder[path.attribute] = value;
  }
}

/** Equal as SCIM compares: booleans by value, strings exactly (a case change is a change). */
export const sameValue = (a: ScimValue | undefined, b: ScimValue | undefined) =>
  a === undefined || a === '' ? b === undefined || b === '' : String(a) === String(b);

/** Attributes the service provider owns (RFC 7643): never written by a client, so never cleared by one. */
const SERVER_OWNED = new Set(['schemas', 'id', 'meta', 'groups']);

/**
 * Every value a user resource holds, as the paths mappings use: `title`,
 * `name.givenName`, `emails[type eq "work"].value`, `<extension URN>:department`.
 * Multi-valued attributes without a `type` cannot be named this way and are left out.
 */
export function valuePaths(resource: ScimResource): { path: string; value: ScimValue }[] {
  const found: { path: string; value: ScimValue }[] = [];
  const scalar = (v: unknown): ScimValue | undefined => (typeof v === 'string' || typeof v === 'boolean' ? v : typeof v === 'number' ? String(v) : undefined);
  const visit = (prefix: string, key: string, value: unknown) => {
    const here = scalar(value);
    if (here !== undefined && here !== '') return void found.push({ path: `${prefix}${key}`, value: here });
    if (Array.isArray(value)) {
      for (const item of value as Record<string, unknown>[]) {
        if (!item || typeof item !== 'object' || typeof item.type !== 'string') continue;
        for (const [sub, v] of Object.entries(item)) {
          const leaf = scalar(v);
          if (sub !== 'type' && sub !== 'primary' && leaf !== undefined && leaf !== '')
            found.push({ path: `${prefix}${key}[type eq "${item.type}"].${sub}`, value: leaf });
        }
      }
    } else if (value && typeof value === 'object') {
      for (const [sub, v] of Object.entries(value as Record<string, unknown>)) {
        const leaf = scalar(v);
        if (leaf !== undefined && leaf !== '') found.push({ path: `${prefix}${key}.${sub}`, value: leaf });
      }
    }
  };
  for (const [key, value] of Object.entries(resource)) {
    if (SERVER_OWNED.has(key)) continue;
    if (key.startsWith('urn:') && value && typeof value === 'object') {
      for (const [attribute, v] of Object.entries(value as Record<string, unknown>)) visit(`${key}:`, attribute, v);
    } else {
      visit('', key, value);
    }
  }
  return found;
}
