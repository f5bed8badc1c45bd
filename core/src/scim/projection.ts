import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-schema.ts';

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): paths are
 * case-insensitive and may carry a schema URN. `id` and `schemas` are always
 * returned.
 */
type Resource = Record<string, unknown>;
const ALWAYS = new Set(['id', 'schemas']);

/** `name.givenName` -> ['name','givenName']; `urn:...:enterprise:2.0:User:department` -> [URN, 'department']. */
export function splitPath(raw: string): string[] {
  const path = raw.trim();
  const lower = path.toLowerCase();
  for (const core of [USER_SCHEMA, GROUP_SCHEMA]) {
    if (lower.startsWith(core.toLowerCase() + ':')) return path.slice(core.length + 1).split('.');
  }
  if (lower === ENTERPRISE_SCHEMA.toLowerCase()) return [ENTERPRISE_SCHEMA];
  if (lower.startsWith(ENTERPRISE_SCHEMA.toLowerCase() + ':')) return [ENTERPRISE_SCHEMA, ...path.slice(ENTERPRISE_SCHEMA.length + 1).split('.')];
  return path.split('.');
}

const keyOf = (object: Resource, name: string) => Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());

export function parseAttributeList(value: unknown): string[][] | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  return value
    .split(',')
    .map(splitPath)
    .filter((p) => p.length && p[0]);
}

function copyPath(from: Resource, to: Resource, path: string[]): void {
  const key = keyOf(from, path[0]!);
  if (key === undefined) return;
  const value = from[key];
  if (path.length === 1) {
    to[key] = value;
    return;
  }
  const rest = path.slice(1);
  if (Array.isArray(value)) {
    const existing = (Array.isArray(to[key]) ? to[key] : (value as unknown[]).map(() => ({}))) as Resource[];
    (value as unknown[]).forEach((item, i) => {
      if (item && typeof item === 'object') copyPath(item as Resource, existing[i]!, rest);
    });
    to[key] = existing;
  } else if (value && typeof value === 'object') {
    const target = (to[key] && typeof to[key] === 'object' ? to[key] : {}) as Resource;
    copyPath(value as Resource, target, rest);
    to[key] = target;
  }
}

function deletePath(object: Resource, path: string[]): void {
  const key = keyOf(object, path[0]!);
  if (key === undefined) return;
  if (path.length === 1) {
    if (!ALWAYS.has(key)) delete object[key];
    return;
  }
  const value = object[key];
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) if (item && typeof item === 'object') deletePath(item as Resource, path.slice(1));
}

export function project(resource: Resource, attributes?: string[][], excluded?: string[][]): Resource {
  if (attributes?.length) {
    const out: Resource = {};
    for (const key of ALWAYS) if (key in resource) out[key] = resource[key];
    for (const path of attributes) copyPath(resource, out, path);
    return out;
  }
  if (excluded?.length) {
    const out = structuredClone(resource);
    for (const path of excluded) deletePath(out, path);
    return out;
  }
  return resource;
}
