import type { Directory } from '../../directories/directory.ts';
import type { SamlConnection } from '../../directories/saml-connection.ts';
import type { Domain } from '../../domains/domain.ts';
import type { Organization } from '../../orgs/organization.ts';
import { toOrg, toDomain, toDirectory, rateLimitColumn, toConnection } from './rows.ts';
import { Statements } from './statements.ts';

/** Organizations, their domains, directories and SAML connections, and the identities directories hold. */
export abstract class OrgRows extends Statements {
  // organizations
  async insertOrg(o: Organization) {
    await this.run('INSERT INTO orgs (id, name, plan, subscription, created_at) VALUES (?, ?, ?, ?, ?)', [o.id, o.name, o.plan, o.subscription, o.createdAt]);
  }
  async getOrg(id: string) {
    const r = await this.one('SELECT * FROM orgs WHERE id = ?', [id]);
    return r && toOrg(r);
  }
  async listOrgs() {
    return (await this.all('SELECT * FROM orgs ORDER BY created_at, id')).map(toOrg);
  }
  async updateOrg(id: string, patch: Partial<Pick<Organization, 'name' | 'plan' | 'subscription'>>) {
    await this.update('orgs', { name: 'name', plan: 'plan', subscription: 'subscription' }, id, patch);
  }
  async addOrgAdmin(orgId: string, accountId: string) {
    await this.run('INSERT INTO org_admins (org_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [orgId, accountId]);
  }
  async removeOrgAdmin(orgId: string, accountId: string) {
    await this.run('DELETE FROM org_admins WHERE org_id = ? AND account_id = ?', [orgId, accountId]);
  }
  async listOrgAdminIds(orgId: string) {
    return (await this.all('SELECT account_id FROM org_admins WHERE org_id = ? ORDER BY account_id', [orgId])).map((r) => String(r.account_id));
  }
  async listAdminOrgIds(accountId: string) {
    return (await this.all('SELECT org_id FROM org_admins WHERE account_id = ?', [accountId])).map((r) => String(r.org_id));
  }

  // domains
  async insertDomain(d: Domain) {
    await this.run('INSERT INTO domains (id, org_id, name, status, token, method, verified_at, directory_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      d.id,
      d.orgId,
      d.name,
      d.status,
      d.token,
      d.method,
      d.verifiedAt,
      d.directoryId,
      d.createdAt,
    ]);
  }
  async getDomain(id: string) {
    const r = await this.one('SELECT * FROM domains WHERE id = ?', [id]);
    return r && toDomain(r);
  }
  async listDomains(orgId: string) {
    return (await this.all('SELECT * FROM domains WHERE org_id = ? ORDER BY name', [orgId])).map(toDomain);
  }
  async findVerifiedDomain(name: string) {
    const r = await this.one(`SELECT * FROM domains WHERE name = ? AND status = 'verified'`, [name]);
    return r && toDomain(r);
  }
  async updateDomain(id: string, patch: Partial<Pick<Domain, 'status' | 'method' | 'verifiedAt' | 'directoryId' | 'token'>>) {
    await this.update('domains', { status: 'status', method: 'method', verifiedAt: 'verified_at', directoryId: 'directory_id', token: 'token' }, id, patch);
  }
  async deleteDomain(id: string) {
    await this.run('DELETE FROM domains WHERE id = ?', [id]);
  }

  // directories and connections
  async insertDirectory(d: Directory) {
    await this.run('INSERT INTO directories (id, org_id, kind, name, scim_fidelity, scim_rate_limit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      d.id,
      d.orgId,
      d.kind,
      d.name,
      d.scimFidelity,
      rateLimitColumn(d.scimRateLimit),
      d.createdAt,
    ]);
  }
  async getDirectory(id: string) {
    const r = await this.one('SELECT * FROM directories WHERE id = ?', [id]);
    return r && toDirectory(r);
  }
  async listDirectories(orgId: string) {
    return (await this.all(`SELECT * FROM directories WHERE org_id = ? ORDER BY kind = 'idp', created_at, id`, [orgId])).map(toDirectory);
  }
  async upsertConnection(c: SamlConnection) {
    await this.run(
      `INSERT INTO saml_connections (id, directory_id, idp_entity_id, sso_url, slo_url, certificate, allow_idp_initiated, sign_authn_requests, want_assertions_signed, display_name_from_saml, last_login_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (directory_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id, sso_url = excluded.sso_url, slo_url = excluded.slo_url,
         certificate = excluded.certificate, allow_idp_initiated = excluded.allow_idp_initiated,
         sign_authn_requests = excluded.sign_authn_requests, want_assertions_signed = excluded.want_assertions_signed, display_name_from_saml = excluded.display_name_from_saml, updated_at = excluded.updated_at`,
      [
        c.id,
        c.directoryId,
        c.idpEntityId,
        c.ssoUrl,
        c.sloUrl,
        c.certificate,
        c.allowIdpInitiated ? 1 : 0,
        c.signAuthnRequests ? 1 : 0,
        c.wantAssertionsSigned ? 1 : 0,
        c.displayNameFromSaml,
        c.lastLoginAt,
        c.createdAt,
        c.updatedAt,
      ],
    );
  }
  async recordConnectionLogin(id: string, at: string) {
    await this.run('UPDATE saml_connections SET last_login_at = ? WHERE id = ?', [at, id]);
  }
  async getConnectionByDirectory(directoryId: string) {
    const r = await this.one('SELECT * FROM saml_connections WHERE directory_id = ?', [directoryId]);
    return r && toConnection(r);
  }
  async getConnection(id: string) {
    const r = await this.one('SELECT * FROM saml_connections WHERE id = ?', [id]);
    return r && toConnection(r);
  }
  async deleteConnection(directoryId: string) {
    await this.run('DELETE FROM saml_connections WHERE directory_id = ?', [directoryId]);
  }
  async accountHasIdentity(accountId: string) {
    return (await this.one('SELECT 1 AS x FROM directory_identities WHERE account_id = ? LIMIT 1', [accountId])) !== undefined;
  }
  async addIdentity(directoryId: string, accountId: string, createdAt: string) {
    await this.run('INSERT INTO directory_identities (directory_id, account_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
      directoryId,
      accountId,
      createdAt,
    ]);
  }
  async identityOrgIds(accountId: string) {
    // Oldest first: the first organization to provision an account is the one that created it.
    const rows = await this.all(
      'SELECT d.org_id FROM directory_identities i JOIN directories d ON d.id = i.directory_id WHERE i.account_id = ? ORDER BY i.created_at',
      [accountId],
    );
    return [...new Set(rows.map((r) => String(r.org_id)))];
  }
}
