import type { Migration } from '../migrations.ts';

/**
 * Core's schema on PostgreSQL. The first migration is SQLite's eleven folded into
 * one; later changes add a migration here and in `../migrations.ts` alike (a test
 * compares the two schemas column by column). Case-insensitive columns are
 * `citext`, as they are `COLLATE NOCASE` in SQLite, so that uniqueness rules and
 * filters ignore case the same way; flags stay 0/1 integers, as the shared
 * statements write them.
 */
export const PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'organization model, SCIM directory server, two-step verification, SAML connections, audit (SQLite migrations 1 to 11)',
    sql: `
-- In public, beside every schema of the database: dropping one schema must not take it away from the others.
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plan TEXT NOT NULL CHECK (plan IN ('free','standard','enterprise')),
  subscription TEXT NOT NULL DEFAULT 'none' CHECK (subscription IN ('none','guard')),
  created_at TEXT NOT NULL
);

CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  email CITEXT NOT NULL UNIQUE,
  email_domain CITEXT NOT NULL,
  display_name TEXT NOT NULL,
  public_name TEXT,
  job_title TEXT,
  department TEXT,
  organization TEXT,
  timezone TEXT,
  preferred_language TEXT,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
  managed_by TEXT REFERENCES orgs(id) ON DELETE SET NULL,
  origin TEXT NOT NULL CHECK (origin IN ('signup','scim','invite')),
  password_hash TEXT,
  password_changed_at TEXT,
  totp_secret TEXT,
  recovery_codes TEXT NOT NULL DEFAULT '[]',
  totp_last_step BIGINT,
  first_login_at TEXT,
  last_login_at TEXT,
  profile_sources TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX accounts_by_domain ON accounts(email_domain);
CREATE INDEX accounts_by_org ON accounts(managed_by);

CREATE TABLE org_admins (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  PRIMARY KEY (org_id, account_id)
);

CREATE TABLE directories (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('local','idp')),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  scim_token_hash TEXT,
  scim_fidelity TEXT NOT NULL DEFAULT 'rfc' CHECK (scim_fidelity IN ('rfc','atlassian')),
  scim_rate_limit TEXT,
  UNIQUE (org_id, name)
);
CREATE UNIQUE INDEX one_local_directory ON directories(org_id) WHERE kind = 'local';
CREATE UNIQUE INDEX directories_by_scim_token ON directories(scim_token_hash) WHERE scim_token_hash IS NOT NULL;

CREATE TABLE domains (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name CITEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','verified')),
  token TEXT NOT NULL,
  method TEXT CHECK (method IN ('dns','http')),
  verified_at TEXT,
  directory_id TEXT REFERENCES directories(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE UNIQUE INDEX domain_verified_once ON domains(name) WHERE status = 'verified';

CREATE TABLE saml_connections (
  id TEXT PRIMARY KEY,
  directory_id TEXT NOT NULL UNIQUE REFERENCES directories(id) ON DELETE CASCADE,
  idp_entity_id TEXT NOT NULL,
  sso_url TEXT NOT NULL,
  slo_url TEXT,
  certificate TEXT NOT NULL,
  allow_idp_initiated INTEGER NOT NULL CHECK (allow_idp_initiated IN (0,1)),
  sign_authn_requests INTEGER NOT NULL CHECK (sign_authn_requests IN (0,1)),
  want_assertions_signed INTEGER NOT NULL DEFAULT 1 CHECK (want_assertions_signed IN (0,1)),
  display_name_from_saml TEXT NOT NULL DEFAULT 'given-family' CHECK (display_name_from_saml IN ('given-family','family-given','off')),
  last_login_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE policies (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  sso TEXT NOT NULL CHECK (sso IN ('enforced','optional','disabled')),
  two_step TEXT NOT NULL CHECK (two_step IN ('optional','mandatory','idp')),
  password_min_strength TEXT CHECK (password_min_strength IN ('weak','fair','good','strong','very-strong')),
  password_expiry_days INTEGER,
  idle_minutes INTEGER NOT NULL CHECK (idle_minutes BETWEEN 15 AND 43200),
  session_expiry_minutes INTEGER,
  billable INTEGER NOT NULL CHECK (billable IN (0,1)),
  is_default INTEGER NOT NULL CHECK (is_default IN (0,1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (org_id, name),
  CHECK (billable = 1 OR sso <> 'enforced'),
  CHECK (billable = 1 OR two_step <> 'mandatory')
);
CREATE UNIQUE INDEX one_default_per_directory ON policies(directory_id) WHERE is_default = 1;

CREATE TABLE policy_members (
  account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE RESTRICT,
  added_at TEXT NOT NULL
);
CREATE INDEX policy_members_by_policy ON policy_members(policy_id);

CREATE TABLE directory_identities (
  directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  PRIMARY KEY (directory_id, account_id)
);
CREATE INDEX directory_identities_by_account ON directory_identities(account_id);

CREATE TABLE org_products (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  product TEXT NOT NULL CHECK (product IN ('jira-software','jira-work-management','jsm-agent','jsm-customer','confluence','bitbucket')),
  plan TEXT NOT NULL CHECK (plan IN ('free','standard','premium','enterprise')),
  PRIMARY KEY (org_id, product)
);

CREATE TABLE product_access (
  org_id TEXT NOT NULL,
  product TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  granted_at TEXT NOT NULL,
  PRIMARY KEY (org_id, product, account_id),
  FOREIGN KEY (org_id, product) REFERENCES org_products(org_id, product) ON DELETE CASCADE
);
CREATE INDEX product_access_by_account ON product_access(account_id);

CREATE TABLE trello_enterprises (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  org_id TEXT UNIQUE REFERENCES orgs(id) ON DELETE SET NULL,
  linked_at TEXT,
  created_at TEXT NOT NULL
);

CREATE TABLE trello_enterprise_admins (
  enterprise_id TEXT NOT NULL REFERENCES trello_enterprises(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  PRIMARY KEY (enterprise_id, account_id)
);

CREATE TABLE trello_accounts (
  account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  active INTEGER NOT NULL CHECK (active IN (0,1)),
  origin TEXT NOT NULL CHECK (origin IN ('signup','scim')),
  created_at TEXT NOT NULL
);

CREATE TABLE trello_workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plan TEXT NOT NULL CHECK (plan IN ('free','standard','premium','enterprise')),
  enterprise_id TEXT REFERENCES trello_enterprises(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  CHECK ((plan = 'enterprise') = (enterprise_id IS NOT NULL))
);

CREATE TABLE trello_workspace_members (
  workspace_id TEXT NOT NULL REFERENCES trello_workspaces(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES trello_accounts(account_id) ON DELETE CASCADE,
  PRIMARY KEY (workspace_id, account_id)
);
CREATE INDEX trello_workspace_members_by_account ON trello_workspace_members(account_id);

CREATE TABLE trello_boards (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES trello_workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  visibility TEXT NOT NULL CHECK (visibility IN ('private','workspace','organization','public')),
  created_at TEXT NOT NULL
);

CREATE TABLE trello_licenses (
  enterprise_id TEXT NOT NULL REFERENCES trello_enterprises(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES trello_accounts(account_id) ON DELETE CASCADE,
  PRIMARY KEY (enterprise_id, account_id)
);
CREATE INDEX trello_licenses_by_account ON trello_licenses(account_id);

CREATE TABLE scim_users (
  id TEXT PRIMARY KEY,
  directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
  user_name CITEXT NOT NULL,
  external_id TEXT,
  display_name CITEXT,
  given_name CITEXT,
  family_name CITEXT,
  formatted_name CITEXT,
  nick_name CITEXT,
  title CITEXT,
  user_type CITEXT,
  preferred_language CITEXT,
  locale CITEXT,
  timezone CITEXT,
  active INTEGER NOT NULL CHECK (active IN (0,1)),
  email CITEXT,
  employee_number CITEXT,
  organization CITEXT,
  department CITEXT,
  division CITEXT,
  cost_center CITEXT,
  manager_id TEXT,
  resource TEXT NOT NULL,
  version INTEGER NOT NULL,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  unlinked_at TEXT,
  UNIQUE (directory_id, user_name)
);
CREATE INDEX scim_users_by_external_id ON scim_users(directory_id, external_id);
CREATE INDEX scim_users_by_email ON scim_users(directory_id, email);
CREATE INDEX scim_users_by_display_name ON scim_users(directory_id, display_name);
CREATE UNIQUE INDEX scim_users_by_account ON scim_users(directory_id, account_id) WHERE account_id IS NOT NULL;
-- The SCIM records of one account, in any directory (listScimUsersOfAccount).
CREATE INDEX scim_users_of_account ON scim_users(account_id) WHERE account_id IS NOT NULL;

CREATE TABLE scim_user_emails (
  user_id TEXT NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
  value CITEXT NOT NULL,
  type CITEXT,
  is_primary INTEGER NOT NULL CHECK (is_primary IN (0,1))
);
CREATE INDEX scim_user_emails_by_user ON scim_user_emails(user_id);

CREATE TABLE scim_groups (
  id TEXT PRIMARY KEY,
  directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  display_name CITEXT NOT NULL,
  external_id TEXT,
  version INTEGER NOT NULL,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  UNIQUE (directory_id, display_name)
);
CREATE INDEX scim_groups_by_external_id ON scim_groups(directory_id, external_id);

-- seq keeps the order members were added in (SQLite's rowid).
CREATE TABLE scim_group_members (
  group_id TEXT NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
  member_id TEXT NOT NULL,
  member_type TEXT NOT NULL CHECK (member_type IN ('User','Group')),
  seq BIGSERIAL NOT NULL,
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_group_members_by_member ON scim_group_members(member_id);

CREATE TABLE group_product_mappings (
  org_id TEXT NOT NULL,
  group_name CITEXT NOT NULL,
  product TEXT NOT NULL,
  PRIMARY KEY (org_id, group_name, product),
  FOREIGN KEY (org_id, product) REFERENCES org_products(org_id, product) ON DELETE CASCADE
);

CREATE TABLE audit_events (
  seq BIGSERIAL PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  directory_id TEXT,
  at TEXT NOT NULL,
  source TEXT NOT NULL,
  operation TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  account_id TEXT,
  changes TEXT NOT NULL
);
CREATE INDEX audit_events_by_org ON audit_events(org_id, seq);
CREATE INDEX audit_events_by_account ON audit_events(account_id, seq) WHERE account_id IS NOT NULL;
`,
  },
  {
    version: 2,
    name: 'shared counters (SCIM rate buckets every core reads and updates)',
    sql: `
-- PostgreSQL only: on SQLite, one core owns the file and keeps its counters in memory.
CREATE TABLE shared_counters (
  key TEXT PRIMARY KEY,
  value JSONB
);
`,
  },
];
