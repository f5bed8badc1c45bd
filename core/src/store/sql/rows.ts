import type { Account } from '../../accounts/account.ts';
import type { Directory, ScimRateLimit } from '../../directories/directory.ts';
import type { SamlConnection } from '../../directories/saml-connection.ts';
import type { Domain } from '../../domains/domain.ts';
import type { Organization } from '../../orgs/organization.ts';
import type { Policy } from '../../policies/policy.ts';
import type { TrelloAccount, TrelloBoard, TrelloEnterprise, TrelloWorkspace } from '../../trello/trello.ts';
import { indexedUserFields, type AuditEvent, type ScimGroupRecord, type ScimUserRecord } from '../../scim/scim-records.ts';
import type { AccountPatch } from '../store.ts';

/** SQLite rows to the domain's records and back: column names, converters and the SQL the areas share. */
export type Row = Record<string, unknown>;
export type Params = unknown[] | Record<string, unknown>;

export const bool = (v: unknown) => v === 1 || v === true;
/** A column's value as text: SQLite hands back strings, numbers, bigints or buffers. */
const text = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('utf8') : '';
export const str = (v: unknown) => (v === null || v === undefined ? null : text(v));
/** A JSON column, parsed; `fallback` when it is NULL. */
export const json = <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : (JSON.parse(text(v)) as T));
export const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** A list travels as one JSON-array parameter (see `Dialect.ids`): one statement for any list size. */
export const list = (ids: readonly string[]) => JSON.stringify(ids);

export const toOrg = (r: Row): Organization => ({
  id: String(r.id),
  name: String(r.name),
  plan: r.plan as Organization['plan'],
  subscription: (r.subscription ?? 'none') as Organization['subscription'],
  createdAt: String(r.created_at),
});

export const toAccount = (r: Row): Account => ({
  id: String(r.id),
  email: String(r.email),
  displayName: String(r.display_name),
  publicName: str(r.public_name),
  jobTitle: str(r.job_title),
  department: str(r.department),
  organization: str(r.organization),
  timezone: str(r.timezone),
  preferredLanguage: str(r.preferred_language),
  active: bool(r.active),
  managedBy: str(r.managed_by),
  origin: r.origin as Account['origin'],
  passwordHash: str(r.password_hash),
  passwordChangedAt: str(r.password_changed_at),
  totpSecret: str(r.totp_secret),
  recoveryCodeHashes: json<string[]>(r.recovery_codes, []),
  totpLastStep: r.totp_last_step === null || r.totp_last_step === undefined ? null : Number(r.totp_last_step),
  firstLoginAt: str(r.first_login_at),
  lastLoginAt: str(r.last_login_at),
  profileSources: json<Account['profileSources']>(r.profile_sources, {}),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

export const toDomain = (r: Row): Domain => ({
  id: String(r.id),
  orgId: String(r.org_id),
  name: String(r.name),
  status: r.status as Domain['status'],
  token: String(r.token),
  method: (r.method ?? null) as Domain['method'],
  verifiedAt: str(r.verified_at),
  directoryId: str(r.directory_id),
  createdAt: String(r.created_at),
});

export const toDirectory = (r: Row): Directory => ({
  id: String(r.id),
  orgId: String(r.org_id),
  kind: r.kind as Directory['kind'],
  name: String(r.name),
  scimFidelity: (r.scim_fidelity ?? 'rfc') as Directory['scimFidelity'],
  scimRateLimit:
    r.scim_rate_limit == null ? null : r.scim_rate_limit === 'off' ? 'off' : json<ScimRateLimit>(r.scim_rate_limit, { requests: 0, perSeconds: 0 }),
  createdAt: String(r.created_at),
});

export const rateLimitColumn = (limit: Directory['scimRateLimit']) =>
  limit === null || limit === 'off' ? limit : JSON.stringify({ requests: limit.requests, perSeconds: limit.perSeconds });

export const toScimUser = (r: Row): ScimUserRecord => ({
  id: String(r.id),
  directoryId: String(r.directory_id),
  accountId: str(r.account_id),
  userName: String(r.user_name),
  externalId: str(r.external_id),
  resource: JSON.parse(String(r.resource)) as Record<string, unknown>,
  version: Number(r.version),
  created: String(r.created),
  lastModified: String(r.last_modified),
  unlinkedAt: str(r.unlinked_at),
});

export const toScimGroup = (r: Row): ScimGroupRecord => ({
  id: String(r.id),
  directoryId: String(r.directory_id),
  displayName: String(r.display_name),
  externalId: str(r.external_id),
  version: Number(r.version),
  created: String(r.created),
  lastModified: String(r.last_modified),
});

export const toAudit = (r: Row): AuditEvent => ({
  seq: Number(r.seq),
  orgId: String(r.org_id),
  directoryId: str(r.directory_id),
  at: String(r.at),
  source: r.source as AuditEvent['source'],
  operation: String(r.operation),
  resourceType: r.resource_type as AuditEvent['resourceType'],
  resourceId: String(r.resource_id),
  accountId: str(r.account_id),
  changes: JSON.parse(String(r.changes)) as AuditEvent['changes'],
});

/** Column values of a SCIM user, in the order of SCIM_USER_COLUMNS. */
export const SCIM_USER_COLUMNS = [
  'account_id',
  'user_name',
  'external_id',
  'display_name',
  'given_name',
  'family_name',
  'formatted_name',
  'nick_name',
  'title',
  'user_type',
  'preferred_language',
  'locale',
  'timezone',
  'active',
  'email',
  'employee_number',
  'organization',
  'department',
  'division',
  'cost_center',
  'manager_id',
  'resource',
  'version',
  'created',
  'last_modified',
  'unlinked_at',
] as const;

export function scimUserValues(u: ScimUserRecord): unknown[] {
  const f = indexedUserFields(u.resource);
  return [
    u.accountId,
    u.userName,
    u.externalId,
    f.displayName,
    f.givenName,
    f.familyName,
    f.formattedName,
    f.nickName,
    f.title,
    f.userType,
    f.preferredLanguage,
    f.locale,
    f.timezone,
    f.active ? 1 : 0,
    f.email,
    f.employeeNumber,
    f.organization,
    f.department,
    f.division,
    f.costCenter,
    f.managerId,
    JSON.stringify(u.resource),
    u.version,
    u.created,
    u.lastModified,
    u.unlinkedAt ?? null,
  ];
}

export const toConnection = (r: Row): SamlConnection => ({
  id: String(r.id),
  directoryId: String(r.directory_id),
  idpEntityId: String(r.idp_entity_id),
  ssoUrl: String(r.sso_url),
  sloUrl: str(r.slo_url),
  certificate: String(r.certificate),
  allowIdpInitiated: bool(r.allow_idp_initiated),
  signAuthnRequests: bool(r.sign_authn_requests),
  wantAssertionsSigned: bool(r.want_assertions_signed),
  displayNameFromSaml: (r.display_name_from_saml ?? 'given-family') as SamlConnection['displayNameFromSaml'],
  lastLoginAt: str(r.last_login_at),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

export const toPolicy = (r: Row): Policy => ({
  id: String(r.id),
  orgId: String(r.org_id),
  directoryId: String(r.directory_id),
  name: String(r.name),
  sso: r.sso as Policy['sso'],
  twoStep: r.two_step as Policy['twoStep'],
  passwordMinStrength: (r.password_min_strength ?? null) as Policy['passwordMinStrength'],
  passwordExpiryDays: num(r.password_expiry_days),
  idleMinutes: Number(r.idle_minutes),
  sessionExpiryMinutes: num(r.session_expiry_minutes),
  billable: bool(r.billable),
  isDefault: bool(r.is_default),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

export const toEnterprise = (r: Row): TrelloEnterprise => ({
  id: String(r.id),
  name: String(r.name),
  orgId: str(r.org_id),
  linkedAt: str(r.linked_at),
  createdAt: String(r.created_at),
});

export const toTrelloAccount = (r: Row): TrelloAccount => ({
  accountId: String(r.account_id),
  active: bool(r.active),
  origin: r.origin as TrelloAccount['origin'],
  createdAt: String(r.created_at),
});

export const toWorkspace = (r: Row): TrelloWorkspace => ({
  id: String(r.id),
  name: String(r.name),
  plan: r.plan as TrelloWorkspace['plan'],
  enterpriseId: str(r.enterprise_id),
  createdAt: String(r.created_at),
});

export const toBoard = (r: Row): TrelloBoard => ({
  id: String(r.id),
  workspaceId: String(r.workspace_id),
  name: String(r.name),
  visibility: r.visibility as TrelloBoard['visibility'],
  createdAt: String(r.created_at),
});

/**
 * Every product grant of an organization (`:org`): direct grants, and grants through
 * the SCIM groups mapped to a product (direct user members only: nested groups are
 * not inherited).
 */
export const GRANTS_SQL = `
  SELECT pa.account_id, pa.product, op.plan FROM product_access pa
    JOIN org_products op ON op.org_id = pa.org_id AND op.product = pa.product
    WHERE pa.org_id = :org
  UNION
  SELECT u.account_id, gm.product, op.plan FROM group_product_mappings gm
    JOIN org_products op ON op.org_id = gm.org_id AND op.product = gm.product
    JOIN directories d ON d.org_id = gm.org_id
    JOIN scim_groups g ON g.directory_id = d.id AND g.display_name = gm.group_name
    JOIN scim_group_members m ON m.group_id = g.id AND m.member_type = 'User'
    JOIN scim_users u ON u.id = m.member_id AND u.account_id IS NOT NULL
    WHERE gm.org_id = :org`;

/** camelCase patch keys -> columns; values converted for SQLite. */
export const ACCOUNT_COLUMNS: Record<keyof AccountPatch, string> = {
  email: 'email',
  displayName: 'display_name',
  publicName: 'public_name',
  jobTitle: 'job_title',
  department: 'department',
  organization: 'organization',
  timezone: 'timezone',
  preferredLanguage: 'preferred_language',
  active: 'active',
  managedBy: 'managed_by',
  passwordHash: 'password_hash',
  passwordChangedAt: 'password_changed_at',
  totpSecret: 'totp_secret',
  recoveryCodeHashes: 'recovery_codes',
  totpLastStep: 'totp_last_step',
  firstLoginAt: 'first_login_at',
  lastLoginAt: 'last_login_at',
  profileSources: 'profile_sources',
};

export const POLICY_COLUMNS: Record<string, string> = {
  name: 'name',
  sso: 'sso',
  twoStep: 'two_step',
  passwordMinStrength: 'password_min_strength',
  passwordExpiryDays: 'password_expiry_days',
  idleMinutes: 'idle_minutes',
  sessionExpiryMinutes: 'session_expiry_minutes',
  billable: 'billable',
  isDefault: 'is_default',
  updatedAt: 'updated_at',
};

export function sqlValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value ?? null;
}
