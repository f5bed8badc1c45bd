import { ScimError as PatchLibraryError, scimPatch, type ScimPatchOperation } from 'scim-patch';
import { ScimError, scimBadRequest, type ScimType } from './scim-error.ts';
import {
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_SCHEMA,
  GROUP_ATTRIBUTES,
  PATCH_SCHEMA,
  USER_ATTRIBUTES,
  USER_SCHEMA,
  type AttributeDefinition,
} from './scim-schema.ts';

/**
 * PATCH requests (RFC 7644 §3.5.2) in the dialects real clients send: `op` in any
 * case (`Replace`, as Entra ID sends it), no `path` with an object value (whose keys
 * may themselves be paths), attribute names in any case, the enterprise extension URN
 * before a path. Operations are normalized here and applied by scim-patch; the
 * result is validated again like a PUT body, so a PATCH is all or nothing.
 */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path?: string;
  value?: unknown;
}

export const PATCH_MAX_OPERATIONS = 1000;
const READ_ONLY = new Set(['id', 'meta', 'groups', 'schemas']);

function definitionsFor(kind: 'User' | 'Group'): AttributeDefinition[] {
  return kind === 'User' ? [...USER_ATTRIBUTES, { name: 'externalId', type: 'string' }] : [...GROUP_ATTRIBUTES, { name: 'externalId', type: 'string' }];
}

/** Canonical case for the attribute part of a path (outside any `[...]` filter). */
export function canonicalPatchPath(kind: 'User' | 'Group', raw: string): string {
  let path = raw.trim();
  let prefix = '';
  const lower = path.toLowerCase();
  const core = (kind === 'User' ? USER_SCHEMA : 'urn:ietf:params:scim:schemas:core:2.0:Group').toLowerCase() + ':';
  let definitions = definitionsFor(kind);
  if (lower.startsWith(core)) path = path.slice(core.length);
  else if (kind === 'User' && lower.startsWith(ENTERPRISE_SCHEMA.toLowerCase())) {
    prefix = ENTERPRISE_SCHEMA;
    path = path.slice(ENTERPRISE_SCHEMA.length);
    if (!path) return prefix;
    if (!path.startsWith(':')) throw scimBadRequest('invalidPath', `"${raw}" is not a valid path.`);
    path = path.slice(1);
    prefix += ':';
    definitions = ENTERPRISE_ATTRIBUTES;
  }
  const match = /^([A-Za-z$][\w$-]*)(\[.*\])?(?:\.([A-Za-z$][\w$-]*))?$/s.exec(path);
  if (!match) throw scimBadRequest('invalidPath', `"${raw}" is not a valid path.`);
  const [, attrName, filter = '', subName] = match;
  if (READ_ONLY.has(attrName!.toLowerCase())) throw new ScimError(400, 'mutability', `${attrName} is read-only.`);
  const attr = definitions.find((d) => d.name.toLowerCase() === attrName!.toLowerCase());
  if (!attr) throw scimBadRequest('invalidPath', `"${raw}" names no attribute of a ${kind}.`);
  if (READ_ONLY.has(attr.name) || attr.mutability === 'readOnly') throw new ScimError(400, 'mutability', `${attr.name} is read-only.`);
  if (filter && !attr.multiValued) throw scimBadRequest('invalidPath', `${attr.name} is not multi-valued; it takes no [ ] filter.`);
  let sub = '';
  if (subName) {
    const subAttr = attr.subAttributes?.find((d) => d.name.toLowerCase() === subName.toLowerCase());
    if (!subAttr) throw scimBadRequest('invalidPath', `"${raw}": ${attr.name} has no sub-attribute ${subName}.`);
    sub = `.${subAttr.name}`;
  }
  return `${prefix}${attr.name}${filter}${sub}`;
}

/** Checks the envelope and normalizes each operation; a bad one is a 400 with the right scimType. */
export function normalizePatch(kind: 'User' | 'Group', body: unknown): PatchOperation[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw scimBadRequest('invalidSyntax', 'A PATCH body must be a JSON object.');
  const envelope = body as Record<string, unknown>;
  const schemas = envelope.schemas;
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(PATCH_SCHEMA))) {
    throw scimBadRequest('invalidSyntax', `A PATCH body declares the schema ${PATCH_SCHEMA}.`);
  }
  const operations = envelope.Operations ?? envelope.operations;
  if (!Array.isArray(operations) || operations.length === 0) throw scimBadRequest('invalidSyntax', 'A PATCH body needs a non-empty Operations array.');
  if (operations.length > PATCH_MAX_OPERATIONS) throw new ScimError(400, 'tooMany', `At most ${PATCH_MAX_OPERATIONS} operations per PATCH.`);
  const normalized: PatchOperation[] = [];
  for (const [i, raw] of operations.entries()) {
    if (!raw || typeof raw !== 'object') throw scimBadRequest('invalidSyntax', `Operations[${i}] is not an object.`);
    const { op, path, value } = raw as Record<string, unknown>;
    const name = typeof op === 'string' ? op.toLowerCase() : '';
    if (name !== 'add' && name !== 'remove' && name !== 'replace') throw scimBadRequest('invalidSyntax', `Operations[${i}].op must be add, remove or replace.`);
    if (path !== undefined && typeof path !== 'string') throw scimBadRequest('invalidPath', `Operations[${i}].path must be a string.`);
    if (!path) {
      if (name === 'remove') throw new ScimError(400, 'noTarget', `Operations[${i}]: remove needs a path.`);
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw scimBadRequest('invalidValue', `Operations[${i}]: without a path, the value must be an object of attributes.`);
      // Each key may itself be a path (Entra sends "name.givenName" and URN-prefixed keys).
      for (const [key, v] of Object.entries(value)) {
        if (key.toLowerCase() === 'schemas') continue;
        normalized.push({ op: name, path: canonicalPatchPath(kind, key), value: v });
      }
      continue;
    }
    if (name !== 'remove' && value === undefined) throw scimBadRequest('invalidValue', `Operations[${i}]: ${name} needs a value.`);
    normalized.push({ op: name, path: canonicalPatchPath(kind, path), ...(value === undefined ? {} : { value }) });
  }
  return normalized;
}

const SCIM_TYPES = new Set<ScimType>(['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue']);

/**
 * Applies normalized operations to a stored resource (never in place), one at a
 * time so that a remove whose filter selects nothing is reported as noTarget
 * (RFC 7644 §3.5.2) rather than silently doing nothing.
 */
export function applyPatch(resource: Record<string, unknown>, operations: PatchOperation[]): Record<string, unknown> {
  // Extension objects are replaced whole by scim-patch when addressed by URN; give it a base to merge into.
  let document = structuredClone(resource) as Record<string, unknown> & { schemas: string[] };
  if (operations.some((o) => o.path?.startsWith(ENTERPRISE_SCHEMA)) && !document[ENTERPRISE_SCHEMA]) document[ENTERPRISE_SCHEMA] = {};
  for (const operation of operations) {
    const next = applyOne(document, operation);
    if (operation.op === 'remove' && operation.path?.includes('[') && JSON.stringify(next) === JSON.stringify(document)) {
      throw new ScimError(400, 'noTarget', `No value matches ${operation.path}.`);
    }
    document = next;
  }
  return document;
}

function applyOne(document: Record<string, unknown>, operation: PatchOperation): Record<string, unknown> & { schemas: string[] } {
  try {
    return scimPatch<never>(document as never, [operation as ScimPatchOperation], { mutateDocument: false, treatMissingAsAdd: true });
  } catch (err) {
    const message = (err as Error).message.replace(/^Invalid SCIM Patch: /, '');
    // The library's own errors carry their SCIM type; anything else it throws comes from reading the path (its filter parser).
    if (err instanceof PatchLibraryError)
      throw new ScimError(400, SCIM_TYPES.has(err.scimCode as ScimType) ? (err.scimCode as ScimType) : 'invalidValue', message);
    throw scimBadRequest('invalidPath', message);
  }
}
