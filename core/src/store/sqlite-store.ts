import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Account } from '../accounts/account.ts';
import { emailDomain } from '../accounts/account.ts';
import type { Directory, ScimRateLimit, ScimSettings } from '../directories/directory.ts';
import type { SamlConnection } from '../directories/saml-connection.ts';
import type { Domain } from '../domains/domain.ts';
import type { OrgSnapshot, TrelloStanding } from '../orgs/org-snapshot.ts';
import type { Organization } from '../orgs/organization.ts';
import type { Policy } from '../policies/policy.ts';
import type { OrgProduct, ProductGrant, SiteProduct } from '../products/product.ts';
import type { TrelloAccount, TrelloBoard, TrelloEnterprise, TrelloWorkspace } from '../trello/trello.ts';
import { indexedUserFields, type AuditEvent, type ScimGroupRecord, type ScimListQuery, type ScimMember, type ScimUserRecord } from '../scim/scim-records.ts';
import type { ResourceKind } from '../scim/filter.ts';
import { MIGRATIONS } from './migrations.ts';
import { compileFilter, sortColumn } from './scim-filter-sql.ts';
import type { AccountPatch, Page, Store, StoreTx } from './store.ts';

type Row = Record<string, unknown>;
type Params = unknown[] | Record<string, unknown>;

const bool = (v: unknown) => v === 1 || v === true;
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** SQLite takes a JSON array for `IN (SELECT value FROM json_each(?))`: one statement for any list size. */
const list = (ids: readonly string[]) => JSON.stringify(ids);

const toOrg = (r: Row): Organization => ({ id: String(r.id), name: String(r.name), plan: r.plan as Organization['plan'], subscription: (r.subscription ?? 'none') as Organization['subscription'], createdAt: String(r.created_at) });

const toAccount = (r: Row): Account => ({
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
  recoveryCodeHashes: JSON.parse(String(r.recovery_codes ?? '[]')) as string[],
  totpLastStep: r.totp_last_step === null || r.totp_last_step === undefined ? null : Number(r.totp_last_step),
  firstLoginAt: str(r.first_login_at),
  lastLoginAt: str(r.last_login_at),
  profileSources: JSON.parse(String(r.profile_sources ?? '{}')) as Account['profileSources'],
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

const toDomain = (r: Row): Domain => ({
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

const toDirectory = (r: Row): Directory => ({
  id: String(r.id),
  orgId: String(r.org_id),
  kind: r.kind as Directory['kind'],
  name: String(r.name),
  scimFidelity: (r.scim_fidelity ?? 'rfc') as Directory['scimFidelity'],
  scimRateLimit: r.scim_rate_limit == null ? null : r.scim_rate_limit === 'off' ? 'off' : (JSON.parse(String(r.scim_rate_limit)) as ScimRateLimit),
  createdAt: String(r.created_at),
});

const rateLimitColumn = (limit: Directory['scimRateLimit']) => (limit === null || limit === 'off' ? limit : JSON.stringify({ requests: limit.requests, perSeconds: limit.perSeconds }));

const toScimUser = (r: Row): ScimUserRecord => ({
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

const toScimGroup = (r: Row): ScimGroupRecord => ({
  id: String(r.id),
  directoryId: String(r.directory_id),
  displayName: String(r.display_name),
  externalId: str(r.external_id),
  version: Number(r.version),
  created: String(r.created),
  lastModified: String(r.last_modified),
});

const toAudit = (r: Row): AuditEvent => ({
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
const SCIM_USER_COLUMNS = [
  'account_id', 'user_name', 'external_id', 'display_name', 'given_name', 'family_name', 'formatted_name', 'nick_name', 'title',
  'user_type', 'preferred_language', 'locale', 'timezone', 'active', 'email', 'employee_number', 'organization', 'department',
  'division', 'cost_center', 'manager_id', 'resource', 'version', 'created', 'last_modified', 'unlinked_at',
] as const;

function scimUserValues(u: ScimUserRecord): unknown[] {
  const f = indexedUserFields(u.resource);
  return [
    u.accountId, u.userName, u.externalId, f.displayName, f.givenName, f.familyName, f.formattedName, f.nickName, f.title,
    f.userType, f.preferredLanguage, f.locale, f.timezone, f.active ? 1 : 0, f.email, f.employeeNumber, f.organization, f.department,
    f.division, f.costCenter, f.managerId, JSON.stringify(u.resource), u.version, u.created, u.lastModified, u.unlinkedAt ?? null,
  ];
}

const toConnection = (r: Row): SamlConnection => ({
  id: String(r.id),
  directoryId: String(r.directory_id),
  idpEntityId: String(r.idp_entity_id),
  ssoUrl: String(r.sso_url),
  sloUrl: str(r.slo_url),
  certificate: String(r.certificate),
  allowIdpInitiated: bool(r.allow_idp_initiated),
  signAuthnRequests: bool(r.sign_authn_requests),
  displayNameFromSaml: (r.display_name_from_saml ?? 'given-family') as SamlConnection['displayNameFromSaml'],
  lastLoginAt: str(r.last_login_at),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

const toPolicy = (r: Row): Policy => ({
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

const toEnterprise = (r: Row): TrelloEnterprise => ({
  id: String(r.id),
  name: String(r.name),
  orgId: str(r.org_id),
  linkedAt: str(r.linked_at),
  createdAt: String(r.created_at),
});

const toTrelloAccount = (r: Row): TrelloAccount => ({
  accountId: String(r.account_id),
  active: bool(r.active),
  origin: r.origin as TrelloAccount['origin'],
  createdAt: String(r.created_at),
});

const toWorkspace = (r: Row): TrelloWorkspace => ({
  id: String(r.id),
  name: String(r.name),
  plan: r.plan as TrelloWorkspace['plan'],
  enterpriseId: str(r.enterprise_id),
  createdAt: String(r.created_at),
});

const toBoard = (r: Row): TrelloBoard => ({
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
const GRANTS_SQL = `
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
const ACCOUNT_COLUMNS: Record<keyof AccountPatch, string> = {
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

const POLICY_COLUMNS: Record<string, string> = {
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

function sqlValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value ?? null;
}

interface QueuedWork {
  work: (tx: StoreTx) => Promise<unknown>;
  /** Read-only units need no savepoint. */
  writes: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** How many units of work at most share one SQLite transaction. */
const GROUP_COMMIT_MAX = 64;

/**
 * One connection, used by one unit of work at a time: a unit spans awaits, so
 * nothing may interleave with it. Units that queue up together share a single
 * SQLite transaction (group commit), each inside its own SAVEPOINT so that a
 * failing unit is rolled back alone; none is answered before the COMMIT. Under
 * concurrent writes this turns one WAL commit per request into one per batch.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly tx: SqliteTx;
  private readonly queue: QueuedWork[] = [];
  private draining = false;
  private readonly control: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // SQLite gives the -wal and -shm files the database file's mode: create it 0600 (it holds password hashes).
      closeSync(openSync(path, 'a', 0o600));
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    }
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // WAL with NORMAL sync cannot corrupt the database; a power cut may lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    // 64 MiB of page cache (the default is 2 MiB): indexes of a 150,000-user directory stay in memory.
    this.db.pragma('cache_size = -65536');
    // Checkpoint every 32 MiB of WAL rather than every 4 MiB: pages rewritten by many
    // commits are copied back once, and the checkpoint's fsync runs an eighth as often.
    this.db.pragma('wal_autocheckpoint = 8192');
    migrate(this.db);
    this.tx = new SqliteTx(this.db);
    // Prepared once: exec would parse these again for every unit of work.
    const prepare = (sql: string) => this.db.prepare(sql);
    this.control = {
      begin: prepare('BEGIN IMMEDIATE'),
      commit: prepare('COMMIT'),
      rollback: prepare('ROLLBACK'),
      savepoint: prepare('SAVEPOINT unit'),
      release: prepare('RELEASE unit'),
      rollbackTo: prepare('ROLLBACK TO unit'),
    };
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.enqueue(work, true);
  }

  /** Reads queue like writes: they must not see a unit that is half done. */
  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.enqueue(work, false);
  }

  wipe(): Promise<void> {
    return this.enqueue(async () => {
      const tables = this.db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'`)
        .all() as { name: string }[];
      this.db.exec('PRAGMA defer_foreign_keys = ON');
      for (const t of tables) this.db.exec(`DELETE FROM "${t.name}"`);
    }, true);
  }

  async close(): Promise<void> {
    await this.enqueue(async () => undefined, false);
    this.db.close();
  }

  private enqueue<T>(work: (tx: StoreTx) => Promise<T>, writes: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, writes, resolve: resolve as (value: unknown) => void, reject });
      // Start on the next turn, so that requests arriving together are committed together.
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, GROUP_COMMIT_MAX);
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      // Reads alone need no transaction: nothing else uses this connection meanwhile.
      const writes = batch.some((item) => item.writes);
      try {
        if (writes) this.control.begin.run();
      } catch (error) {
        batch.forEach((item) => item.reject(error));
        continue;
      }
      for (const item of batch) {
        if (item.writes) this.control.savepoint.run();
        try {
          const value = await item.work(this.tx);
          if (item.writes) this.control.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (item.writes) {
            this.control.rollbackTo.run();
            this.control.release.run();
          }
          outcomes.push({ ok: false, error });
        }
      }
      try {
        if (writes) this.control.commit.run();
      } catch (error) {
        this.control.rollback.run();
        outcomes.fill({ ok: false, error });
      }
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    }
    this.draining = false;
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
    })();
  }
}

class SqliteTx implements StoreTx {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
  private all(sql: string, params: Params = []): Row[] {
    return this.stmt(sql).all(params) as Row[];
  }
  private one(sql: string, params: Params = []): Row | undefined {
    return this.stmt(sql).get(params) as Row | undefined;
  }
  private run(sql: string, params: Params = []): number {
    return this.stmt(sql).run(params).changes;
  }
  private update(table: string, columns: Record<string, string>, id: string, patch: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const entries = Object.entries({ ...patch, ...extra }).filter(([k, v]) => v !== undefined && columns[k] !== undefined);
    if (!entries.length) return;
    const set = entries.map(([k]) => `${columns[k]} = ?`).join(', ');
    this.run(`UPDATE ${table} SET ${set} WHERE id = ?`, [...entries.map(([, v]) => sqlValue(v)), id]);
  }
  private paged(countSql: string, rowsSql: string, params: unknown[], page: Page) {
    const total = Number(this.one(countSql, params)?.n ?? 0);
    const accounts = this.all(`${rowsSql} LIMIT ? OFFSET ?`, [...params, page.limit, page.offset]).map(toAccount);
    return { total, accounts };
  }

  // organizations
  async insertOrg(o: Organization) {
    this.run('INSERT INTO orgs (id, name, plan, subscription, created_at) VALUES (?, ?, ?, ?, ?)', [o.id, o.name, o.plan, o.subscription, o.createdAt]);
  }
  async getOrg(id: string) {
    const r = this.one('SELECT * FROM orgs WHERE id = ?', [id]);
    return r && toOrg(r);
  }
  async listOrgs() {
    return this.all('SELECT * FROM orgs ORDER BY created_at, id').map(toOrg);
  }
  async updateOrg(id: string, patch: Partial<Pick<Organization, 'name' | 'plan' | 'subscription'>>) {
    this.update('orgs', { name: 'name', plan: 'plan', subscription: 'subscription' }, id, patch);
  }
  async addOrgAdmin(orgId: string, accountId: string) {
    this.run('INSERT OR IGNORE INTO org_admins (org_id, account_id) VALUES (?, ?)', [orgId, accountId]);
  }
  async removeOrgAdmin(orgId: string, accountId: string) {
    this.run('DELETE FROM org_admins WHERE org_id = ? AND account_id = ?', [orgId, accountId]);
  }
  async listOrgAdminIds(orgId: string) {
    return this.all('SELECT account_id FROM org_admins WHERE org_id = ? ORDER BY account_id', [orgId]).map((r) => String(r.account_id));
  }
  async listAdminOrgIds(accountId: string) {
    return this.all('SELECT org_id FROM org_admins WHERE account_id = ?', [accountId]).map((r) => String(r.org_id));
  }

  // accounts
  async insertAccount(a: Account) {
    this.run(
      `INSERT INTO accounts (id, email, email_domain, display_name, public_name, job_title, department, organization, timezone,
        preferred_language, active, managed_by, origin, password_hash, password_changed_at, totp_secret, recovery_codes,
        first_login_at, last_login_at, profile_sources, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        a.id, a.email, emailDomain(a.email), a.displayName, a.publicName, a.jobTitle, a.department, a.organization, a.timezone,
        a.preferredLanguage, a.active ? 1 : 0, a.managedBy, a.origin, a.passwordHash, a.passwordChangedAt, a.totpSecret,
        JSON.stringify(a.recoveryCodeHashes), a.firstLoginAt, a.lastLoginAt, JSON.stringify(a.profileSources), a.createdAt, a.updatedAt,
      ],
    );
  }
  async getAccount(id: string) {
    const r = this.one('SELECT * FROM accounts WHERE id = ?', [id]);
    return r && toAccount(r);
  }
  async getAccountByEmail(email: string) {
    const r = this.one('SELECT * FROM accounts WHERE email = ?', [email]);
    return r && toAccount(r);
  }
  async getAccountsByEmail(emails: string[]) {
    return this.all('SELECT * FROM accounts WHERE email IN (SELECT value FROM json_each(?))', [list(emails)]).map(toAccount);
  }
  async updateAccount(id: string, patch: AccountPatch, updatedAt: string) {
    const columns = { ...ACCOUNT_COLUMNS, updatedAt: 'updated_at', emailDomain: 'email_domain' } as Record<string, string>;
    const extra: Record<string, unknown> = { updatedAt };
    if (patch.email !== undefined) extra.emailDomain = emailDomain(patch.email);
    this.update('accounts', columns, id, patch, extra);
  }
  async deleteAccount(id: string) {
    this.run('DELETE FROM accounts WHERE id = ?', [id]);
  }
  async claimAccountsOnDomain(domain: string, orgId: string, updatedAt: string) {
    const ids = this.all('SELECT id FROM accounts WHERE email_domain = ? AND managed_by IS NULL', [domain]).map((r) => String(r.id));
    this.run('UPDATE accounts SET managed_by = ?, updated_at = ? WHERE email_domain = ? AND managed_by IS NULL', [orgId, updatedAt, domain]);
    return ids;
  }
  async releaseAccountsOnDomain(domain: string, orgId: string, updatedAt: string) {
    const ids = this.all('SELECT id FROM accounts WHERE email_domain = ? AND managed_by = ?', [domain, orgId]).map((r) => String(r.id));
    this.run('UPDATE accounts SET managed_by = NULL, updated_at = ? WHERE email_domain = ? AND managed_by = ?', [updatedAt, domain, orgId]);
    return ids;
  }
  async listManagedAccounts(orgId: string, page: Page) {
    return this.paged(
      'SELECT count(*) AS n FROM accounts WHERE managed_by = ?',
      'SELECT * FROM accounts WHERE managed_by = ? ORDER BY email',
      [orgId],
      page,
    );
  }

  // domains
  async insertDomain(d: Domain) {
    this.run(
      'INSERT INTO domains (id, org_id, name, status, token, method, verified_at, directory_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [d.id, d.orgId, d.name, d.status, d.token, d.method, d.verifiedAt, d.directoryId, d.createdAt],
    );
  }
  async getDomain(id: string) {
    const r = this.one('SELECT * FROM domains WHERE id = ?', [id]);
    return r && toDomain(r);
  }
  async listDomains(orgId: string) {
    return this.all('SELECT * FROM domains WHERE org_id = ? ORDER BY name', [orgId]).map(toDomain);
  }
  async findVerifiedDomain(name: string) {
    const r = this.one(`SELECT * FROM domains WHERE name = ? AND status = 'verified'`, [name]);
    return r && toDomain(r);
  }
  async updateDomain(id: string, patch: Partial<Pick<Domain, 'status' | 'method' | 'verifiedAt' | 'directoryId' | 'token'>>) {
    this.update('domains', { status: 'status', method: 'method', verifiedAt: 'verified_at', directoryId: 'directory_id', token: 'token' }, id, patch);
  }
  async deleteDomain(id: string) {
    this.run('DELETE FROM domains WHERE id = ?', [id]);
  }

  // directories and connections
  async insertDirectory(d: Directory) {
    this.run('INSERT INTO directories (id, org_id, kind, name, scim_fidelity, scim_rate_limit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [d.id, d.orgId, d.kind, d.name, d.scimFidelity, rateLimitColumn(d.scimRateLimit), d.createdAt]);
  }
  async getDirectory(id: string) {
    const r = this.one('SELECT * FROM directories WHERE id = ?', [id]);
    return r && toDirectory(r);
  }
  async listDirectories(orgId: string) {
    return this.all(`SELECT * FROM directories WHERE org_id = ? ORDER BY kind = 'idp', created_at, id`, [orgId]).map(toDirectory);
  }
  async upsertConnection(c: SamlConnection) {
    this.run(
      `INSERT INTO saml_connections (id, directory_id, idp_entity_id, sso_url, slo_url, certificate, allow_idp_initiated, sign_authn_requests, display_name_from_saml, last_login_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (directory_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id, sso_url = excluded.sso_url, slo_url = excluded.slo_url,
         certificate = excluded.certificate, allow_idp_initiated = excluded.allow_idp_initiated,
         sign_authn_requests = excluded.sign_authn_requests, display_name_from_saml = excluded.display_name_from_saml, updated_at = excluded.updated_at`,
      [c.id, c.directoryId, c.idpEntityId, c.ssoUrl, c.sloUrl, c.certificate, c.allowIdpInitiated ? 1 : 0, c.signAuthnRequests ? 1 : 0, c.displayNameFromSaml, c.lastLoginAt, c.createdAt, c.updatedAt],
    );
  }
  async recordConnectionLogin(id: string, at: string) {
    this.run('UPDATE saml_connections SET last_login_at = ? WHERE id = ?', [at, id]);
  }
  async getConnectionByDirectory(directoryId: string) {
    const r = this.one('SELECT * FROM saml_connections WHERE directory_id = ?', [directoryId]);
    return r && toConnection(r);
  }
  async getConnection(id: string) {
    const r = this.one('SELECT * FROM saml_connections WHERE id = ?', [id]);
    return r && toConnection(r);
  }
  async deleteConnection(directoryId: string) {
    this.run('DELETE FROM saml_connections WHERE directory_id = ?', [directoryId]);
  }
  async accountHasIdentity(accountId: string) {
    return this.one('SELECT 1 AS x FROM directory_identities WHERE account_id = ? LIMIT 1', [accountId]) !== undefined;
  }
  async addIdentity(directoryId: string, accountId: string, createdAt: string) {
    this.run('INSERT OR IGNORE INTO directory_identities (directory_id, account_id, created_at) VALUES (?, ?, ?)', [directoryId, accountId, createdAt]);
  }
  async identityOrgIds(accountId: string) {
    // Oldest first: the first organization to provision an account is the one that created it.
    const rows = this.all('SELECT d.org_id FROM directory_identities i JOIN directories d ON d.id = i.directory_id WHERE i.account_id = ? ORDER BY i.created_at', [accountId]);
    return [...new Set(rows.map((r) => String(r.org_id)))];
  }

  // policies
  async insertPolicy(p: Policy) {
    this.run(
      `INSERT INTO policies (id, org_id, directory_id, name, sso, two_step, password_min_strength, password_expiry_days, idle_minutes,
        session_expiry_minutes, billable, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        p.id, p.orgId, p.directoryId, p.name, p.sso, p.twoStep, p.passwordMinStrength, p.passwordExpiryDays, p.idleMinutes,
        p.sessionExpiryMinutes, p.billable ? 1 : 0, p.isDefault ? 1 : 0, p.createdAt, p.updatedAt,
      ],
    );
  }
  async getPolicy(id: string) {
    const r = this.one('SELECT * FROM policies WHERE id = ?', [id]);
    return r && toPolicy(r);
  }
  async listPolicies(orgId: string) {
    return this.all('SELECT * FROM policies WHERE org_id = ? ORDER BY created_at, id', [orgId]).map(toPolicy);
  }
  async updatePolicy(id: string, patch: Partial<Omit<Policy, 'id' | 'orgId' | 'directoryId' | 'createdAt'>>) {
    this.update('policies', POLICY_COLUMNS, id, patch);
  }
  async deletePolicy(id: string) {
    this.run('DELETE FROM policies WHERE id = ?', [id]);
  }
  async getDefaultPolicy(directoryId: string) {
    const r = this.one('SELECT * FROM policies WHERE directory_id = ? AND is_default = 1', [directoryId]);
    return r && toPolicy(r);
  }
  async setMembership(accountIds: string[], policyId: string, addedAt: string) {
    this.run(
      `INSERT INTO policy_members (account_id, policy_id, added_at) SELECT value, ?, ? FROM json_each(?) WHERE true
       ON CONFLICT (account_id) DO UPDATE SET policy_id = excluded.policy_id, added_at = excluded.added_at
       WHERE policy_members.policy_id <> excluded.policy_id`,
      [policyId, addedAt, list(accountIds)],
    );
  }
  async removeMembership(accountIds: string[]) {
    this.run('DELETE FROM policy_members WHERE account_id IN (SELECT value FROM json_each(?))', [list(accountIds)]);
  }
  async getMembership(accountId: string) {
    return str(this.one('SELECT policy_id FROM policy_members WHERE account_id = ?', [accountId])?.policy_id) ?? undefined;
  }
  async listMembers(policyId: string, page: Page) {
    return this.paged(
      'SELECT count(*) AS n FROM policy_members WHERE policy_id = ?',
      'SELECT a.* FROM policy_members m JOIN accounts a ON a.id = m.account_id WHERE m.policy_id = ? ORDER BY a.email',
      [policyId],
      page,
    );
  }
  async moveAllMembers(fromPolicyId: string, toPolicyId: string, addedAt: string) {
    return this.run('UPDATE policy_members SET policy_id = ?, added_at = ? WHERE policy_id = ?', [toPolicyId, addedAt, fromPolicyId]);
  }

  // products
  async setOrgProduct(p: OrgProduct) {
    this.run('INSERT INTO org_products (org_id, product, plan) VALUES (?, ?, ?) ON CONFLICT (org_id, product) DO UPDATE SET plan = excluded.plan', [
      p.orgId, p.product, p.plan,
    ]);
  }
  async deleteOrgProduct(orgId: string, product: SiteProduct) {
    this.run('DELETE FROM org_products WHERE org_id = ? AND product = ?', [orgId, product]);
  }
  async listOrgProducts(orgId: string) {
    return this.all('SELECT * FROM org_products WHERE org_id = ? ORDER BY product', [orgId]).map(
      (r): OrgProduct => ({ orgId: String(r.org_id), product: r.product as SiteProduct, plan: r.plan as OrgProduct['plan'] }),
    );
  }
  async grantAccess(orgId: string, product: SiteProduct, accountIds: string[], grantedAt: string) {
    return this.run(
      'INSERT OR IGNORE INTO product_access (org_id, product, account_id, granted_at) SELECT ?, ?, value, ? FROM json_each(?)',
      [orgId, product, grantedAt, list(accountIds)],
    );
  }
  async revokeAccess(orgId: string, product: SiteProduct, accountIds: string[]) {
    return this.run('DELETE FROM product_access WHERE org_id = ? AND product = ? AND account_id IN (SELECT value FROM json_each(?))', [
      orgId, product, list(accountIds),
    ]);
  }
  async listAccess(orgId: string, product: SiteProduct, page: Page) {
    const granted = `SELECT DISTINCT account_id FROM (${GRANTS_SQL}) WHERE product = :product`;
    const params = { org: orgId, product };
    const total = Number(this.one(`SELECT count(*) AS n FROM (${granted})`, params)?.n ?? 0);
    const accounts = this.all(`SELECT a.* FROM accounts a WHERE a.id IN (${granted}) ORDER BY a.email LIMIT :limit OFFSET :offset`, { ...params, ...page }).map(toAccount);
    return { total, accounts };
  }

  async listProductsOf(orgId: string, accountId: string) {
    return this.all(`SELECT DISTINCT product FROM (${GRANTS_SQL}) WHERE account_id = :account ORDER BY product`, { org: orgId, account: accountId }).map((r) => String(r.product) as SiteProduct);
  }

  // Trello
  async insertEnterprise(e: TrelloEnterprise) {
    this.run('INSERT INTO trello_enterprises (id, name, org_id, linked_at, created_at) VALUES (?, ?, ?, ?, ?)', [e.id, e.name, e.orgId, e.linkedAt, e.createdAt]);
  }
  async getEnterprise(id: string) {
    const r = this.one('SELECT * FROM trello_enterprises WHERE id = ?', [id]);
    return r && toEnterprise(r);
  }
  async getEnterpriseByOrg(orgId: string) {
    const r = this.one('SELECT * FROM trello_enterprises WHERE org_id = ?', [orgId]);
    return r && toEnterprise(r);
  }
  async updateEnterprise(id: string, patch: Partial<Pick<TrelloEnterprise, 'name' | 'orgId' | 'linkedAt'>>) {
    this.update('trello_enterprises', { name: 'name', orgId: 'org_id', linkedAt: 'linked_at' }, id, patch);
  }
  async addEnterpriseAdmin(enterpriseId: string, accountId: string) {
    this.run('INSERT OR IGNORE INTO trello_enterprise_admins (enterprise_id, account_id) VALUES (?, ?)', [enterpriseId, accountId]);
  }
  async listEnterpriseAdminIds(enterpriseId: string) {
    return this.all('SELECT account_id FROM trello_enterprise_admins WHERE enterprise_id = ?', [enterpriseId]).map((r) => String(r.account_id));
  }
  async insertTrelloAccount(t: TrelloAccount) {
    this.run('INSERT INTO trello_accounts (account_id, active, origin, created_at) VALUES (?, ?, ?, ?)', [t.accountId, t.active ? 1 : 0, t.origin, t.createdAt]);
  }
  async getTrelloAccount(accountId: string) {
    const r = this.one('SELECT * FROM trello_accounts WHERE account_id = ?', [accountId]);
    return r && toTrelloAccount(r);
  }
  async updateTrelloAccount(accountId: string, patch: Partial<Pick<TrelloAccount, 'active'>>) {
    if (patch.active !== undefined) this.run('UPDATE trello_accounts SET active = ? WHERE account_id = ?', [patch.active ? 1 : 0, accountId]);
  }
  async insertWorkspace(w: TrelloWorkspace) {
    this.run('INSERT INTO trello_workspaces (id, name, plan, enterprise_id, created_at) VALUES (?, ?, ?, ?, ?)', [w.id, w.name, w.plan, w.enterpriseId, w.createdAt]);
  }
  async getWorkspace(id: string) {
    const r = this.one('SELECT * FROM trello_workspaces WHERE id = ?', [id]);
    return r && toWorkspace(r);
  }
  async listWorkspaces(enterpriseId: string) {
    return this.all('SELECT * FROM trello_workspaces WHERE enterprise_id = ? ORDER BY name', [enterpriseId]).map(toWorkspace);
  }
  async addWorkspaceMembers(workspaceId: string, accountIds: string[]) {
    this.run('INSERT OR IGNORE INTO trello_workspace_members (workspace_id, account_id) SELECT ?, value FROM json_each(?)', [workspaceId, list(accountIds)]);
  }
  async removeWorkspaceMember(workspaceId: string, accountId: string) {
    this.run('DELETE FROM trello_workspace_members WHERE workspace_id = ? AND account_id = ?', [workspaceId, accountId]);
  }
  async listWorkspaceIdsOf(accountId: string) {
    return this.all('SELECT workspace_id FROM trello_workspace_members WHERE account_id = ?', [accountId]).map((r) => String(r.workspace_id));
  }
  async insertBoard(b: TrelloBoard) {
    this.run('INSERT INTO trello_boards (id, workspace_id, name, visibility, created_at) VALUES (?, ?, ?, ?, ?)', [b.id, b.workspaceId, b.name, b.visibility, b.createdAt]);
  }
  async listBoards(workspaceIds: string[]) {
    return this.all('SELECT * FROM trello_boards WHERE workspace_id IN (SELECT value FROM json_each(?)) ORDER BY name', [list(workspaceIds)]).map(toBoard);
  }
  async addLicenses(enterpriseId: string, accountIds: string[]) {
    this.run('INSERT OR IGNORE INTO trello_licenses (enterprise_id, account_id) SELECT ?, value FROM json_each(?)', [enterpriseId, list(accountIds)]);
  }
  async removeLicense(enterpriseId: string, accountId: string) {
    this.run('DELETE FROM trello_licenses WHERE enterprise_id = ? AND account_id = ?', [enterpriseId, accountId]);
  }
  async listLicensedIds(enterpriseId: string) {
    return this.all('SELECT account_id FROM trello_licenses WHERE enterprise_id = ?', [enterpriseId]).map((r) => String(r.account_id));
  }
  async listEnterpriseMemberIds(enterpriseId: string) {
    return this.all(
      `SELECT account_id FROM trello_licenses WHERE enterprise_id = :e
       UNION SELECT m.account_id FROM trello_workspace_members m JOIN trello_workspaces w ON w.id = m.workspace_id WHERE w.enterprise_id = :e
       UNION SELECT t.account_id FROM trello_accounts t JOIN accounts a ON a.id = t.account_id
         JOIN trello_enterprises e ON e.id = :e AND e.org_id IS NOT NULL AND a.managed_by = e.org_id`,
      { e: enterpriseId },
    ).map((r) => String(r.account_id));
  }

  // SCIM
  async setScimToken(directoryId: string, tokenHash: string) {
    this.run('UPDATE directories SET scim_token_hash = ? WHERE id = ?', [tokenHash, directoryId]);
  }
  async findDirectoryByScimToken(tokenHash: string) {
    const r = this.one('SELECT * FROM directories WHERE scim_token_hash = ?', [tokenHash]);
    return r && toDirectory(r);
  }
  async setScimSettings(directoryId: string, settings: ScimSettings) {
    this.run('UPDATE directories SET scim_fidelity = ?, scim_rate_limit = ? WHERE id = ?', [settings.scimFidelity, rateLimitColumn(settings.scimRateLimit), directoryId]);
  }
  private writeEmails(u: ScimUserRecord, replacing: boolean) {
    if (replacing) this.run('DELETE FROM scim_user_emails WHERE user_id = ?', [u.id]);
    for (const e of indexedUserFields(u.resource).emails) {
      this.run('INSERT INTO scim_user_emails (user_id, value, type, is_primary) VALUES (?, ?, ?, ?)', [u.id, e.value, e.type, e.primary ? 1 : 0]);
    }
  }
  async insertScimUser(u: ScimUserRecord) {
    this.run(
      `INSERT INTO scim_users (id, directory_id, ${SCIM_USER_COLUMNS.join(', ')}) VALUES (?, ?, ${SCIM_USER_COLUMNS.map(() => '?').join(', ')})`,
      [u.id, u.directoryId, ...scimUserValues(u)],
    );
    this.writeEmails(u, false);
  }
  async updateScimUser(u: ScimUserRecord) {
    this.run(`UPDATE scim_users SET ${SCIM_USER_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...scimUserValues(u), u.id]);
    this.writeEmails(u, true);
  }
  async getScimUser(directoryId: string, id: string) {
    const r = this.one('SELECT * FROM scim_users WHERE id = ? AND directory_id = ?', [id, directoryId]);
    return r && toScimUser(r);
  }
  async findScimUserByUserName(directoryId: string, userName: string) {
    const r = this.one('SELECT * FROM scim_users WHERE directory_id = ? AND user_name = ?', [directoryId, userName]);
    return r && toScimUser(r);
  }
  async findScimUserByAccount(directoryId: string, accountId: string) {
    const r = this.one('SELECT * FROM scim_users WHERE directory_id = ? AND account_id = ?', [directoryId, accountId]);
    return r && toScimUser(r);
  }
  async listLinkedScimUsers(directoryId: string) {
    const rows = this.all(
      `SELECT u.*, a.id AS a_id, a.email AS a_email, a.display_name AS a_display_name, a.public_name AS a_public_name, a.job_title AS a_job_title,
              a.department AS a_department, a.organization AS a_organization, a.timezone AS a_timezone, a.preferred_language AS a_preferred_language,
              a.active AS a_active, a.managed_by AS a_managed_by, a.origin AS a_origin, a.password_hash AS a_password_hash,
              a.password_changed_at AS a_password_changed_at, a.totp_secret AS a_totp_secret, a.recovery_codes AS a_recovery_codes,
              a.totp_last_step AS a_totp_last_step, a.first_login_at AS a_first_login_at, a.last_login_at AS a_last_login_at,
              a.profile_sources AS a_profile_sources, a.created_at AS a_created_at, a.updated_at AS a_updated_at
       FROM scim_users u JOIN accounts a ON a.id = u.account_id WHERE u.directory_id = ? ORDER BY u.user_name`,
      [directoryId],
    );
    const accountOf = (r: Row) => toAccount(Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith('a_')).map(([k, v]) => [k.slice(2), v])));
    return rows.map((r) => ({ record: toScimUser(r), account: accountOf(r) }));
  }
  async listScimUsersOfAccount(accountId: string) {
    return this.all('SELECT * FROM scim_users WHERE account_id = ?', [accountId]).map(toScimUser);
  }
  async deleteScimUser(id: string) {
    this.run('DELETE FROM scim_users WHERE id = ?', [id]);
  }
  private listScim(kind: ResourceKind, table: string, directoryId: string, query: ScimListQuery) {
    const where = compileFilter(kind, query.filter);
    const params = [directoryId, ...where.params];
    const total = Number(this.one(`SELECT count(*) AS n FROM ${table} r WHERE r.directory_id = ? AND ${where.sql}`, params)?.n ?? 0);
    if (query.count === 0) return { total, rows: [] as Row[] };
    const order = `${sortColumn(kind, query.sortBy)} ${query.descending ? 'DESC' : 'ASC'}`;
    const rows = this.all(`SELECT r.* FROM ${table} r WHERE r.directory_id = ? AND ${where.sql} ORDER BY ${order}, r.id LIMIT ? OFFSET ?`, [
      ...params, query.count, query.startIndex - 1,
    ]);
    return { total, rows };
  }
  async listScimUsers(directoryId: string, query: ScimListQuery) {
    const { total, rows } = this.listScim('User', 'scim_users', directoryId, query);
    return { total, users: rows.map(toScimUser) };
  }
  async countScimUsers(directoryId: string) {
    return Number(this.one('SELECT count(*) AS n FROM scim_users WHERE directory_id = ?', [directoryId])?.n ?? 0);
  }
  async insertScimGroup(g: ScimGroupRecord) {
    this.run('INSERT INTO scim_groups (id, directory_id, display_name, external_id, version, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      g.id, g.directoryId, g.displayName, g.externalId, g.version, g.created, g.lastModified,
    ]);
  }
  async updateScimGroup(g: ScimGroupRecord) {
    this.run('UPDATE scim_groups SET display_name = ?, external_id = ?, version = ?, last_modified = ? WHERE id = ?', [g.displayName, g.externalId, g.version, g.lastModified, g.id]);
  }
  async getScimGroup(directoryId: string, id: string) {
    const r = this.one('SELECT * FROM scim_groups WHERE id = ? AND directory_id = ?', [id, directoryId]);
    return r && toScimGroup(r);
  }
  async findScimGroupByName(directoryId: string, displayName: string) {
    const r = this.one('SELECT * FROM scim_groups WHERE directory_id = ? AND display_name = ?', [directoryId, displayName]);
    return r && toScimGroup(r);
  }
  async deleteScimGroup(id: string) {
    this.run('DELETE FROM scim_groups WHERE id = ?', [id]);
    this.run('DELETE FROM scim_group_members WHERE member_id = ?', [id]);
  }
  async listScimGroups(directoryId: string, query: ScimListQuery) {
    const { total, rows } = this.listScim('Group', 'scim_groups', directoryId, query);
    return { total, groups: rows.map(toScimGroup) };
  }
  async listGroupMembers(groupIds: string[]) {
    return this.all('SELECT group_id, member_id, member_type FROM scim_group_members WHERE group_id IN (SELECT value FROM json_each(?)) ORDER BY rowid', [list(groupIds)]).map((r) => ({
      groupId: String(r.group_id),
      memberId: String(r.member_id),
      type: r.member_type as ScimMember['type'],
    }));
  }
  async countGroupMembers(groupId: string, type?: ScimMember['type']) {
    const sql = `SELECT count(*) AS n FROM scim_group_members WHERE group_id = ?${type ? ' AND member_type = ?' : ''}`;
    return Number(this.one(sql, type ? [groupId, type] : [groupId])?.n ?? 0);
  }
  async addGroupMembers(groupId: string, members: ScimMember[]) {
    return this.run(
      `INSERT OR IGNORE INTO scim_group_members (group_id, member_id, member_type)
       SELECT ?, json_extract(value, '$.memberId'), json_extract(value, '$.type') FROM json_each(?)`,
      [groupId, JSON.stringify(members)],
    );
  }
  async removeGroupMembers(groupId: string, memberIds: string[] | 'all') {
    if (memberIds === 'all') return this.run('DELETE FROM scim_group_members WHERE group_id = ?', [groupId]);
    return this.run('DELETE FROM scim_group_members WHERE group_id = ? AND member_id IN (SELECT value FROM json_each(?))', [groupId, list(memberIds)]);
  }
  async removeMemberEverywhere(memberId: string) {
    this.run('DELETE FROM scim_group_members WHERE member_id = ?', [memberId]);
  }
  async resolveDirectoryMembers(directoryId: string, ids: string[]) {
    // CROSS JOIN fixes the join order: probe each id by primary key instead of
    // scanning every user of the directory (150,000 of them) through directory_id.
    const rows = this.all(
      `SELECT u.id, 'User' AS type FROM json_each(:ids) j CROSS JOIN scim_users u ON u.id = j.value WHERE u.directory_id = :d
       UNION ALL SELECT g.id, 'Group' AS type FROM json_each(:ids) j CROSS JOIN scim_groups g ON g.id = j.value WHERE g.directory_id = :d`,
      { d: directoryId, ids: list(ids) },
    );
    return new Map(rows.map((r) => [String(r.id), r.type as ScimMember['type']]));
  }
  async listGroupsOfMembers(memberIds: string[]) {
    return this.all(
      `SELECT m.member_id, g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.member_id IN (SELECT value FROM json_each(?)) ORDER BY g.display_name`,
      [list(memberIds)],
    ).map((r) => ({ memberId: String(r.member_id), groupId: String(r.id), displayName: String(r.display_name) }));
  }
  async removeIdentity(directoryId: string, accountId: string) {
    this.run('DELETE FROM directory_identities WHERE directory_id = ? AND account_id = ?', [directoryId, accountId]);
  }
  async setGroupProductMapping(orgId: string, groupName: string, product: SiteProduct) {
    this.run('INSERT OR IGNORE INTO group_product_mappings (org_id, group_name, product) VALUES (?, ?, ?)', [orgId, groupName, product]);
  }
  async deleteGroupProductMapping(orgId: string, groupName: string, product: SiteProduct) {
    return this.run('DELETE FROM group_product_mappings WHERE org_id = ? AND group_name = ? AND product = ?', [orgId, groupName, product]);
  }
  async listGroupProductMappings(orgId: string) {
    return this.all('SELECT group_name, product FROM group_product_mappings WHERE org_id = ? ORDER BY group_name, product', [orgId]).map((r) => ({
      groupName: String(r.group_name),
      product: r.product as SiteProduct,
    }));
  }
  async insertAuditEvent(e: AuditEvent) {
    this.run(
      'INSERT INTO audit_events (org_id, directory_id, at, source, operation, resource_type, resource_id, account_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [e.orgId, e.directoryId, e.at, e.source, e.operation, e.resourceType, e.resourceId, e.accountId, JSON.stringify(e.changes)],
    );
  }
  async listAuditEvents(orgId: string, page: { limit: number; afterSeq: number }) {
    return this.all(
      `SELECT * FROM audit_events WHERE seq > :after AND (org_id = :org OR account_id IN (SELECT id FROM accounts WHERE managed_by = :org))
       ORDER BY seq LIMIT :limit`,
      { org: orgId, after: page.afterSeq, limit: page.limit },
    ).map(toAudit);
  }

  // decisions
  async loadOrgSnapshot(orgId: string, onlyAccountIds?: string[]): Promise<OrgSnapshot | undefined> {
    const org = await this.getOrg(orgId);
    if (!org) return undefined;
    // The org's people: managed accounts, admins, and anyone granted one of its products.
    const people = onlyAccountIds
      ? 'SELECT value AS id FROM json_each(:only)'
      : `SELECT id FROM accounts WHERE managed_by = :org
         UNION SELECT account_id FROM org_admins WHERE org_id = :org
         UNION SELECT account_id FROM product_access WHERE org_id = :org
         UNION SELECT u.account_id FROM scim_users u JOIN directories d ON d.id = u.directory_id WHERE d.org_id = :org AND u.account_id IS NOT NULL`;
    const p = { org: orgId, only: list(onlyAccountIds ?? []) };
    const params = (sql: string) => Object.fromEntries(Object.entries(p).filter(([k]) => sql.includes(`:${k}`)));
    const q = (sql: string) => this.all(sql, params(sql));

    const accounts = q(`SELECT * FROM accounts WHERE id IN (${people}) ORDER BY email`).map(toAccount);
    const policyOf = new Map(
      q(`SELECT m.account_id, m.policy_id FROM policy_members m JOIN policies p ON p.id = m.policy_id
         WHERE p.org_id = :org AND m.account_id IN (${people})`).map((r) => [String(r.account_id), String(r.policy_id)]),
    );
    const identities = new Map<string, Set<string>>();
    for (const r of q(`SELECT i.account_id, i.directory_id FROM directory_identities i JOIN directories d ON d.id = i.directory_id
         WHERE d.org_id = :org AND i.account_id IN (${people})`)) {
      const set = identities.get(String(r.account_id)) ?? new Set<string>();
      set.add(String(r.directory_id));
      identities.set(String(r.account_id), set);
    }
    // One index probe per directory, however many identities it holds.
    const provisionedDirectoryIds = new Set(
      q(`SELECT d.id FROM directories d WHERE d.org_id = :org AND EXISTS (SELECT 1 FROM directory_identities i WHERE i.directory_id = d.id)`).map((r) => String(r.id)),
    );
    const grants = new Map<string, ProductGrant[]>();
    for (const r of q(`SELECT account_id, product, plan FROM (${GRANTS_SQL}) WHERE account_id IN (${people})`)) {
      const key = String(r.account_id);
      grants.set(key, [...(grants.get(key) ?? []), { product: r.product as SiteProduct, plan: r.plan as ProductGrant['plan'] }]);
    }
    const trello = new Map<string, TrelloStanding>();
    for (const r of q(`SELECT t.*, EXISTS (SELECT 1 FROM trello_licenses l WHERE l.account_id = t.account_id) AS licensed
         FROM trello_accounts t WHERE t.account_id IN (${people})`)) {
      trello.set(String(r.account_id), { account: toTrelloAccount(r), licensed: bool(r.licensed), workspaces: [] });
    }
    for (const r of q(`SELECT m.account_id, w.id, w.plan, w.enterprise_id FROM trello_workspace_members m
         JOIN trello_workspaces w ON w.id = m.workspace_id WHERE m.account_id IN (${people})`)) {
      trello.get(String(r.account_id))?.workspaces.push({ id: String(r.id), plan: r.plan as TrelloWorkspace['plan'], enterpriseId: str(r.enterprise_id) });
    }
    return {
      org,
      adminIds: new Set(await this.listOrgAdminIds(orgId)),
      domains: await this.listDomains(orgId),
      directories: await this.listDirectories(orgId),
      connections: this.all('SELECT c.* FROM saml_connections c JOIN directories d ON d.id = c.directory_id WHERE d.org_id = ?', [orgId]).map(toConnection),
      policies: await this.listPolicies(orgId),
      accounts,
      policyOf,
      identities,
      provisionedDirectoryIds,
      grants,
      trello,
    };
  }
}
