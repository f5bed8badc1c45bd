import type { MappingInput } from './mapping.ts';
import { ENTERPRISE_SCHEMA, type ScimResource, type ScimValue } from './scim-path.ts';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export const PROFILE_NAMES = ['entra', 'entra-flatten', 'okta'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * How a user leaves the target. `disable`: active=false, and the SCIM user
 * stays. `disable-then-delete`: a user deleted at the IdP is disabled at once
 * and DELETEd when its soft-delete period has passed (Entra keeps deleted users
 * 30 days before deleting them for good, and only then sends DELETE); a user
 * merely disabled or out of scope is only disabled. `delete`: DELETE at once,
 * whatever the reason.
 */
export const DEPROVISION_MODES = ['disable', 'disable-then-delete', 'delete'] as const;
export type DeprovisionMode = (typeof DEPROVISION_MODES)[number];

/** One HTTP request a profile sends; `path` is relative to the SCIM base URL. */
export interface WireRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

/** An attribute the target must change: `value` undefined clears it; `present` is whether the target had one. */
export interface AttributeChange {
  path: string;
  value: ScimValue | undefined;
  present: boolean;
}

/**
 * How one vendor's provisioning client talks SCIM. The wire formats follow
 * what Entra ID and Okta send (their SCIM documentation and request logs), so
 * that a server tested against Rehearsal sees what it will see in production.
 */
export interface Profile {
  name: ProfileName;
  /** The vendor's fixed mapping (see reference/atlassian.md); a target's own mappings replace entries by target path. */
  mappings: MappingInput[];
  /** Whether members of a nested group are also members of every group above it. */
  flattenNestedGroups: boolean;
  /** How the vendor deprovisions unless the target says otherwise. */
  deprovision: DeprovisionMode;
  /** Filters tried in order to find a user that exists on the target already. */
  matchFilters(matching: { path: string; value: string }, externalId: string | undefined): string[];
  /** Whether an update replaces the whole user (a PUT): what the mappings do not send is cleared on the target. */
  updateReplacesUser: boolean;
  updateUser(targetId: string, changes: AttributeChange[], full: ScimResource): WireRequest;
  deactivateUser(targetId: string, full: ScimResource): WireRequest;
  createGroup(group: { id: string; displayName: string }): WireRequest;
  /** One request that adds and removes members (target ids). */
  changeMembers(groupTargetId: string, add: string[], remove: string[]): WireRequest;
  renameGroup(groupTargetId: string, displayName: string): WireRequest;
}

/** A SCIM PATCH (RFC 7644 §3.5.2) of one resource. */
const patch = (path: string, operations: unknown[]): WireRequest => ({ method: 'PATCH', path, body: { schemas: [PATCH_OP], Operations: operations } });

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const filterQuery = (resource: 'Users' | 'Groups', filter: string, extra = '') => `/${resource}?filter=${encodeURIComponent(filter)}${extra}`;

export const userFilter = (filter: string) => filterQuery('Users', filter);
export const groupFilter = (displayName: string) => filterQuery('Groups', `displayName eq ${quote(displayName)}`, '&excludedAttributes=members');

const ENTRA_MAPPINGS: MappingInput[] = [
  { target: 'userName', source: '[userName]', matching: true },
  { target: 'active', source: '[active]' },
  { target: 'displayName', source: '[displayName]' },
  { target: 'title', source: '[jobTitle]' },
  { target: 'emails[type eq "work"].value', source: '[email]' },
  { target: 'name.givenName', source: '[givenName]' },
  { target: 'name.familyName', source: '[surname]' },
  { target: 'externalId', source: '[id]' },
  { target: `${ENTERPRISE_SCHEMA}:department`, source: '[department]' },
];

/** Entra ID: eq filters on the matching attribute then externalId, PATCH with capitalised ops, soft delete. */
const entra: Omit<Profile, 'name' | 'flattenNestedGroups'> = {
  mappings: ENTRA_MAPPINGS,
  deprovision: 'disable-then-delete',
  updateReplacesUser: false,
  matchFilters: (matching, externalId) => [
    `${matching.path} eq ${quote(matching.value)}`,
    ...(externalId !== undefined && matching.path !== 'externalId' ? [`externalId eq ${quote(externalId)}`] : []),
  ],
  updateUser: (targetId, changes) =>
    patch(
      `/Users/${targetId}`,
      changes.map((c) => (c.value === undefined ? { op: 'Remove', path: c.path } : { op: c.present ? 'Replace' : 'Add', path: c.path, value: c.value })),
    ),
  deactivateUser: (targetId) => patch(`/Users/${targetId}`, [{ op: 'Replace', path: 'active', value: false }]),
  createGroup: (group) => ({
    method: 'POST',
    path: '/Groups',
    body: { schemas: [GROUP_SCHEMA], externalId: group.id, displayName: group.displayName, members: [] },
  }),
  changeMembers: (groupTargetId, add, remove) =>
    patch(`/Groups/${groupTargetId}`, [
      ...(add.length ? [{ op: 'Add', path: 'members', value: add.map((value) => ({ value })) }] : []),
      ...(remove.length ? [{ op: 'Remove', path: 'members', value: remove.map((value) => ({ value })) }] : []),
    ]),
  renameGroup: (groupTargetId, displayName) => patch(`/Groups/${groupTargetId}`, [{ op: 'Replace', path: 'displayName', value: displayName }]),
};

const OKTA_MAPPINGS: MappingInput[] = [
  { target: 'userName', source: '[userName]', matching: true },
  { target: 'active', source: '[active]' },
  { target: 'name.givenName', source: '[givenName]' },
  { target: 'name.familyName', source: '[surname]' },
  { target: 'emails[type eq "work"].value', source: '[email]' },
  { target: 'displayName', source: '[displayName]' },
  { target: 'title', source: '[jobTitle]' },
  { target: `${ENTERPRISE_SCHEMA}:department`, source: '[department]' },
  { target: `${ENTERPRISE_SCHEMA}:organization`, source: '[organization]' },
];

/** Okta: userName eq matching, PUT of the whole user (what is left out is cleared), push groups. */
const okta: Profile = {
  name: 'okta',
  flattenNestedGroups: false,
  // Okta deactivates (active=false) and never sends DELETE for users.
  deprovision: 'disable',
  mappings: OKTA_MAPPINGS,
  updateReplacesUser: true,
  matchFilters: (matching) => [`${matching.path} eq ${quote(matching.value)}`],
  updateUser: (targetId, _changes, full) => ({ method: 'PUT', path: `/Users/${targetId}`, body: { ...full, id: targetId } }),
  deactivateUser: (targetId, full) => ({ method: 'PUT', path: `/Users/${targetId}`, body: { ...full, id: targetId, active: false } }),
  createGroup: (group) => ({ method: 'POST', path: '/Groups', body: { schemas: [GROUP_SCHEMA], displayName: group.displayName, members: [] } }),
  changeMembers: (groupTargetId, add, remove) =>
    patch(`/Groups/${groupTargetId}`, [
      ...(add.length ? [{ op: 'add', path: 'members', value: add.map((value) => ({ value })) }] : []),
      ...remove.map((value) => ({ op: 'remove', path: `members[value eq ${quote(value)}]` })),
    ]),
  renameGroup: (groupTargetId, displayName) => patch(`/Groups/${groupTargetId}`, [{ op: 'replace', path: 'displayName', value: displayName }]),
};

export const PROFILES: Record<ProfileName, Profile> = {
  entra: { ...entra, name: 'entra', flattenNestedGroups: false },
  'entra-flatten': { ...entra, name: 'entra-flatten', flattenNestedGroups: true },
  okta,
};
