import type { FilterNode } from './filter.ts';
import { ENTERPRISE_SCHEMA } from './scim-schema.ts';

/** What the store keeps of SCIM resources, and what a list query asks of it. */
export type ScimFidelity = 'rfc' | 'atlassian';

export interface ScimUserRecord {
  id: string;
  directoryId: string;
  accountId: string | null;
  userName: string;
  externalId: string | null;
  /** The normalized resource as the client sent it, without id and meta. */
  resource: Record<string, unknown>;
  version: number;
  created: string;
  lastModified: string;
  /**
   * Set when an email change off the verified domains unlinked the account
   * (accountId is then null); a null accountId without it means the account
   * was deleted by an admin.
   */
  unlinkedAt?: string | null;
}

export interface ScimGroupRecord {
  id: string;
  directoryId: string;
  displayName: string;
  externalId: string | null;
  version: number;
  created: string;
  lastModified: string;
}

export interface ScimMember {
  memberId: string;
  type: 'User' | 'Group';
}

export interface ScimListQuery {
  filter?: FilterNode;
  /** A canonical filterable attribute. */
  sortBy?: string;
  descending: boolean;
  /** 1-based. */
  startIndex: number;
  count: number;
}

export interface AuditChange {
  attribute: string;
  before: unknown;
  after: unknown;
  /** Set when the change was not made, with why (an account the organization does not manage...). */
  skipped?: string;
}

export interface AuditEvent {
  seq?: number;
  orgId: string;
  directoryId: string | null;
  at: string;
  source: 'scim' | 'admin';
  operation: string;
  resourceType: 'User' | 'Group';
  resourceId: string;
  accountId: string | null;
  changes: AuditChange[];
}

type Json = Record<string, unknown>;
const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/** The single-valued attributes the store keeps as columns, read from a stored resource. */
export function indexedUserFields(resource: Json) {
  const name = (resource.name ?? {}) as Json;
  const enterprise = (resource[ENTERPRISE_SCHEMA] ?? {}) as Json;
  const emails = ((resource.emails ?? []) as Json[]).map((e) => ({ value: String(e.value), type: s(e.type), primary: e.primary === true }));
  const primary = emails.find((e) => e.primary) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  return {
    displayName: s(resource.displayName),
    givenName: s(name.givenName),
    familyName: s(name.familyName),
    formattedName: s(name.formatted),
    nickName: s(resource.nickName),
    title: s(resource.title),
    userType: s(resource.userType),
    preferredLanguage: s(resource.preferredLanguage),
    locale: s(resource.locale),
    timezone: s(resource.timezone),
    active: resource.active !== false,
    email: primary?.value ?? null,
    employeeNumber: s(enterprise.employeeNumber),
    organization: s(enterprise.organization),
    department: s(enterprise.department),
    division: s(enterprise.division),
    costCenter: s(enterprise.costCenter),
    managerId: s((enterprise.manager as Json | undefined)?.value),
    emails,
  };
}
