import type { CompareOp, FilterNode, FilterValue, ResourceKind } from '../../scim/filter.ts';
import { FILTERABLE } from '../../scim/filter.ts';
import type { Dialect } from './dialect.ts';

/**
 * Compiles a checked SCIM filter AST to a parameterized WHERE clause in the store's dialect. Column
 * names come only from the tables below; every value travels as a parameter.
 */
interface Column {
  expr: string;
  /** For multi-valued attributes: the child table joined by EXISTS. */
  via?: { table: string; alias: string; key: string };
}

const EMAILS = { table: 'scim_user_emails', alias: 'e', key: 'e.user_id = r.id' };
const MEMBERS = { table: 'scim_group_members', alias: 'm', key: 'm.group_id = r.id' };
/** The child table of each multi-valued attribute that takes a `[...]` value filter. */
const VIA: Record<string, Column['via']> = { emails: EMAILS, members: MEMBERS };

const COLUMNS: Record<ResourceKind, Record<string, Column>> = {
  User: {
    id: { expr: 'r.id' },
    externalId: { expr: 'r.external_id' },
    userName: { expr: 'r.user_name' },
    displayName: { expr: 'r.display_name' },
    nickName: { expr: 'r.nick_name' },
    title: { expr: 'r.title' },
    userType: { expr: 'r.user_type' },
    preferredLanguage: { expr: 'r.preferred_language' },
    locale: { expr: 'r.locale' },
    timezone: { expr: 'r.timezone' },
    active: { expr: 'r.active' },
    'name.givenName': { expr: 'r.given_name' },
    'name.familyName': { expr: 'r.family_name' },
    'name.formatted': { expr: 'r.formatted_name' },
    'emails.value': { expr: 'e.value', via: EMAILS },
    'emails.type': { expr: 'e.type', via: EMAILS },
    'emails.primary': { expr: 'e.is_primary', via: EMAILS },
    'enterprise.employeeNumber': { expr: 'r.employee_number' },
    'enterprise.organization': { expr: 'r.organization' },
    'enterprise.department': { expr: 'r.department' },
    'enterprise.division': { expr: 'r.division' },
    'enterprise.costCenter': { expr: 'r.cost_center' },
    'enterprise.manager.value': { expr: 'r.manager_id' },
    'meta.created': { expr: 'r.created' },
    'meta.lastModified': { expr: 'r.last_modified' },
  },
  Group: {
    id: { expr: 'r.id' },
    externalId: { expr: 'r.external_id' },
    displayName: { expr: 'r.display_name' },
    'members.value': { expr: 'm.member_id', via: MEMBERS },
    'members.type': { expr: 'm.member_type', via: MEMBERS },
    'meta.created': { expr: 'r.created' },
    'meta.lastModified': { expr: 'r.last_modified' },
  },
};

/** Sorting uses single-valued columns; a multi-valued attribute sorts by the primary value. */
const SORT_FALLBACK: Record<string, string> = { 'emails.value': 'r.email' };

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const escapeLike = (v: string) => v.replace(/[\\%_]/g, (c) => `\\${c}`);

function comparison(dialect: Dialect, kind: ResourceKind, attr: string, op: CompareOp, value: FilterValue, expr: string): SqlFragment {
  const type = FILTERABLE[kind][attr]!;
  if (value === null) return { sql: op === 'eq' ? `${expr} IS NULL` : `${expr} IS NOT NULL`, params: [] };
  if (type === 'boolean') return { sql: `${expr} ${op === 'eq' ? '=' : '<>'} ?`, params: [value ? 1 : 0] };
  let v = String(value);
  if (type === 'dateTime') v = new Date(v).toISOString();
  const exact = type === 'caseExactString' || type === 'dateTime';
  const compare = (sqlOp: string) => (exact ? `${expr} ${sqlOp} ?` : dialect.compareNoCase(expr, sqlOp));
  switch (op) {
    case 'eq':
      return { sql: compare('='), params: [v] };
    case 'ne':
      return { sql: `(${expr} IS NULL OR ${compare('<>')})`, params: [v] };
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return { sql: compare({ gt: '>', ge: '>=', lt: '<', le: '<=' }[op]), params: [v] };
    case 'co':
    case 'sw':
    case 'ew': {
      if (exact) {
        if (op === 'co') return { sql: dialect.containsExact(expr), params: [v] };
        if (op === 'sw') return { sql: dialect.startsWithExact(expr), params: [v, v] };
        return { sql: dialect.endsWithExact(expr), params: [v, v] };
      }
      const pattern = op === 'co' ? `%${escapeLike(v)}%` : op === 'sw' ? `${escapeLike(v)}%` : `%${escapeLike(v)}`;
      return { sql: dialect.likeNoCase(expr), params: [pattern] };
    }
  }
}

function compile(dialect: Dialect, kind: ResourceKind, node: FilterNode, insideVia: boolean): SqlFragment {
  switch (node.op) {
    case 'and':
    case 'or': {
      const parts = node.filters.map((f) => compile(dialect, kind, f, insideVia));
      return { sql: `(${parts.map((p) => p.sql).join(` ${node.op.toUpperCase()} `)})`, params: parts.flatMap((p) => p.params) };
    }
    case 'not': {
      // coalesce: SQL's NULL would make NOT (unknown) unknown; SCIM's not is two-valued.
      const inner = compile(dialect, kind, node.filter, insideVia);
      return { sql: `NOT coalesce(${inner.sql}, false)`, params: inner.params };
    }
    case 'has': {
      const via = VIA[node.attr]!;
      const inner = compile(dialect, kind, node.filter, true);
      return { sql: `EXISTS (SELECT 1 FROM ${via.table} ${via.alias} WHERE ${via.key} AND ${inner.sql})`, params: inner.params };
    }
    case 'pr': {
      const column = COLUMNS[kind][node.attr]!;
      // A flag is present when set; a string when it is not empty.
      const leaf = FILTERABLE[kind][node.attr] === 'boolean' ? `${column.expr} IS NOT NULL` : `(${column.expr} IS NOT NULL AND ${column.expr} <> '')`;
      return {
        sql: column.via && !insideVia ? `EXISTS (SELECT 1 FROM ${column.via.table} ${column.via.alias} WHERE ${column.via.key} AND ${leaf})` : leaf,
        params: [],
      };
    }
    default: {
      const column = COLUMNS[kind][node.attr]!;
      const leaf = comparison(dialect, kind, node.attr, node.op, node.value, column.expr);
      if (!column.via || insideVia) return leaf;
      return { sql: `EXISTS (SELECT 1 FROM ${column.via.table} ${column.via.alias} WHERE ${column.via.key} AND ${leaf.sql})`, params: leaf.params };
    }
  }
}

/** `r` is the alias of the resource table in the caller's query. */
export function compileFilter(dialect: Dialect, kind: ResourceKind, filter: FilterNode | undefined): SqlFragment {
  return filter ? compile(dialect, kind, filter, false) : { sql: 'true', params: [] };
}

export function sortColumn(kind: ResourceKind, attr: string | undefined): string {
  if (!attr) return 'r.created, r.id';
  const column = COLUMNS[kind][attr];
  const expr = column?.via ? SORT_FALLBACK[attr] : column?.expr;
  return expr ?? 'r.created';
}
