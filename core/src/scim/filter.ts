import { parse, type Filter } from 'scim2-parse-filter';
import { ScimError, scimBadRequest } from './scim-error.ts';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-schema.ts';

/**
 * SCIM filters (RFC 7644 §3.4.2.2): parsed by scim2-parse-filter, then checked
 * against the attributes this server can filter on, with canonical names (attribute
 * names are case-insensitive) and limits on length and depth. The result is an AST
 * the store compiles to parameterized SQL; nothing here builds SQL strings.
 */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

export type FilterNode =
  | { op: 'and' | 'or'; filters: FilterNode[] }
  | { op: 'not'; filter: FilterNode }
  | { op: CompareOp; attr: string; value: FilterValue }
  | { op: 'pr'; attr: string }
  /** A complex multi-valued attribute filter, `emails[type eq "work"]`: inner attrs are sub-attributes. */
  | { op: 'has'; attr: string; filter: FilterNode };

export const FILTER_MAX_LENGTH = 2048;
export const FILTER_MAX_DEPTH = 12;

export type FilterAttributeType = 'string' | 'caseExactString' | 'boolean' | 'dateTime';
export type ResourceKind = 'User' | 'Group';

/** Canonical filterable attributes per resource and their types. Multi-valued ones are `parent.sub`. */
export const FILTERABLE: Record<ResourceKind, Record<string, FilterAttributeType>> = {
  User: {
    id: 'caseExactString',
    externalId: 'caseExactString',
    userName: 'string',
    displayName: 'string',
    nickName: 'string',
    title: 'string',
    userType: 'string',
    preferredLanguage: 'string',
    locale: 'string',
    timezone: 'string',
    active: 'boolean',
    'name.givenName': 'string',
    'name.familyName': 'string',
    'name.formatted': 'string',
    'emails.value': 'string',
    'emails.type': 'string',
    'emails.primary': 'boolean',
    'enterprise.employeeNumber': 'string',
    'enterprise.organization': 'string',
    'enterprise.department': 'string',
    'enterprise.division': 'string',
    'enterprise.costCenter': 'string',
    'enterprise.manager.value': 'caseExactString',
    'meta.created': 'dateTime',
    'meta.lastModified': 'dateTime',
  },
  Group: {
    id: 'caseExactString',
    externalId: 'caseExactString',
    displayName: 'string',
    'members.value': 'caseExactString',
    'members.type': 'string',
    'meta.created': 'dateTime',
    'meta.lastModified': 'dateTime',
  },
};

/** Multi-valued complex attributes that may carry a `[...]` value filter, and the sub-attribute a bare name means. */
const MULTI_VALUED: Record<ResourceKind, Record<string, string>> = {
  User: { emails: 'value' },
  Group: { members: 'value' },
};

const lookup = (kind: ResourceKind) => new Map(Object.keys(FILTERABLE[kind]).map((name) => [name.toLowerCase(), name]));
const LOOKUPS = { User: lookup('User'), Group: lookup('Group') };

/**
 * Canonical name of an attribute path: strips the core schema URN, maps the
 * enterprise extension URN to `enterprise.`, and fixes case.
 */
export function canonicalPath(kind: ResourceKind, rawPath: string): string | undefined {
  let path = rawPath.trim();
  const lower = path.toLowerCase();
  const core = (kind === 'User' ? USER_SCHEMA : GROUP_SCHEMA).toLowerCase() + ':';
  if (lower.startsWith(core)) path = path.slice(core.length);
  else if (kind === 'User' && lower.startsWith(ENTERPRISE_SCHEMA.toLowerCase() + ':')) path = `enterprise.${path.slice(ENTERPRISE_SCHEMA.length + 1)}`;
  const multi = Object.entries(MULTI_VALUED[kind]).find(([name]) => name === path.toLowerCase());
  if (multi) path = `${multi[0]}.${multi[1]}`;
  return LOOKUPS[kind].get(path.toLowerCase());
}

function multiValuedParent(kind: ResourceKind, rawPath: string): string | undefined {
  return Object.keys(MULTI_VALUED[kind]).find((name) => name === rawPath.trim().toLowerCase());
}

const invalid = (detail: string) => scimBadRequest('invalidFilter', detail);

function coerce(kind: ResourceKind, attr: string, value: FilterValue, op: string): FilterValue {
  const type = FILTERABLE[kind][attr]!;
  if (type === 'boolean') {
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    if (typeof value !== 'boolean') throw invalid(`${attr} is a boolean; compare it with true or false.`);
    if (op !== 'eq' && op !== 'ne') throw invalid(`${attr} is a boolean: only eq and ne apply.`);
    return value;
  }
  if (value !== null && typeof value !== 'string') throw invalid(`${attr} is a ${type === 'dateTime' ? 'date-time' : 'string'}; quote the value.`);
  if (type === 'dateTime' && typeof value === 'string' && Number.isNaN(Date.parse(value))) throw invalid(`${JSON.stringify(value)} is not a date-time.`);
  return value;
}

function convert(kind: ResourceKind, node: Filter, depth: number, within?: string): FilterNode {
  if (depth > FILTER_MAX_DEPTH) throw invalid(`The filter nests deeper than ${FILTER_MAX_DEPTH} levels.`);
  switch (node.op) {
    case 'and':
    case 'or':
      return { op: node.op, filters: node.filters.map((f) => convert(kind, f, depth + 1, within)) };
    case 'not':
      return { op: 'not', filter: convert(kind, node.filter, depth + 1, within) };
    case '[]': {
      if (within) throw invalid('Value filters cannot be nested.');
      const parent = multiValuedParent(kind, node.attrPath);
      if (!parent) throw invalid(`${node.attrPath} is not a multi-valued attribute that can be filtered with [ ].`);
      return { op: 'has', attr: parent, filter: convert(kind, node.valFilter, depth + 1, parent) };
    }
    default: {
      const path = within ? `${within}.${node.attrPath}` : node.attrPath;
      const attr = canonicalPath(kind, path);
      if (!attr) throw invalid(`Filtering on "${node.attrPath}" is not supported for ${kind} resources.`);
      if (node.op === 'pr') return { op: 'pr', attr };
      const op = node.op.toLowerCase() as CompareOp;
      if (!['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'].includes(op)) throw invalid(`Unknown operator "${node.op}".`);
      const value = coerce(kind, attr, node.compValue, op);
      if (value === null && op !== 'eq' && op !== 'ne') throw invalid(`${op} needs a value, not null.`);
      return { op, attr, value };
    }
  }
}

/** Parses and checks a filter; every problem is a 400 invalidFilter naming it. */
export function parseFilter(kind: ResourceKind, text: string): FilterNode {
  if (text.length > FILTER_MAX_LENGTH) throw invalid(`The filter is longer than ${FILTER_MAX_LENGTH} characters.`);
  // Count nesting before parsing: a recursive-descent parser must never see unbounded depth.
  let open = 0;
  let deepest = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (c === '(' || c === '[') deepest = Math.max(deepest, ++open);
    if (c === ')' || c === ']') open--;
  }
  if (deepest > FILTER_MAX_DEPTH) throw invalid(`The filter nests deeper than ${FILTER_MAX_DEPTH} levels.`);
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (err) {
    throw invalid(`The filter is not valid SCIM filter syntax: ${(err as Error).message}`);
  }
  return convert(kind, ast, 0);
}

/** The vendor's own server: only `eq` on userName/externalId (users) or displayName (groups). */
export function checkAtlassianFilter(kind: ResourceKind, filter: FilterNode): void {
  const allowed = kind === 'User' ? ['userName', 'externalId'] : ['displayName'];
  if (filter.op !== 'eq' || !allowed.includes(filter.attr)) {
    throw new ScimError(
      400,
      'invalidFilter',
      `This directory answers like Atlassian's SCIM server: only "${allowed.join('" or "')} eq" filters are supported.`,
    );
  }
}
