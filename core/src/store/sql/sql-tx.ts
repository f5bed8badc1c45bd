import type { OrgSnapshot, TrelloStanding } from '../../orgs/org-snapshot.ts';
import type { ProductGrant, SiteProduct } from '../../products/product.ts';
import type { TrelloWorkspace } from '../../trello/trello.ts';
import type { StoreTx } from '../store.ts';
import { bool, str, list, toAccount, toConnection, toTrelloAccount, GRANTS_SQL } from './rows.ts';
import { AuditRows } from './audit-rows.ts';

/** The store's transaction object: every area, and the snapshot a decision reads in one go; a backend supplies the connection. */
export abstract class SqlTx extends AuditRows implements StoreTx {
  // decisions
  async loadOrgSnapshot(orgId: string, onlyAccountIds?: string[]): Promise<OrgSnapshot | undefined> {
    const org = await this.getOrg(orgId);
    if (!org) return undefined;
    // The org's people: managed accounts, admins, and anyone granted one of its products.
    const people = onlyAccountIds
      ? `SELECT value AS id FROM ${this.dialect.ids(':only', 'listed')}`
      : `SELECT id FROM accounts WHERE managed_by = :org
         UNION SELECT account_id FROM org_admins WHERE org_id = :org
         UNION SELECT account_id FROM product_access WHERE org_id = :org
         UNION SELECT u.account_id FROM scim_users u JOIN directories d ON d.id = u.directory_id WHERE d.org_id = :org AND u.account_id IS NOT NULL`;
    const p = { org: orgId, only: list(onlyAccountIds ?? []) };
    const params = (sql: string) => Object.fromEntries(Object.entries(p).filter(([k]) => sql.includes(`:${k}`)));
    const q = (sql: string) => this.all(sql, params(sql));

    const accounts = (await q(`SELECT * FROM accounts WHERE id IN (${people}) ORDER BY email`)).map(toAccount);
    const policyOf = new Map(
      (
        await q(`SELECT m.account_id, m.policy_id FROM policy_members m JOIN policies p ON p.id = m.policy_id
         WHERE p.org_id = :org AND m.account_id IN (${people})`)
      ).map((r) => [String(r.account_id), String(r.policy_id)]),
    );
    const identities = new Map<string, Set<string>>();
    for (const r of await q(`SELECT i.account_id, i.directory_id FROM directory_identities i JOIN directories d ON d.id = i.directory_id
         WHERE d.org_id = :org AND i.account_id IN (${people})`)) {
      const set = identities.get(String(r.account_id)) ?? new Set<string>();
      set.add(String(r.directory_id));
      identities.set(String(r.account_id), set);
    }
    // One index probe per directory, however many identities it holds.
    const provisionedDirectoryIds = new Set(
      (await q(`SELECT d.id FROM directories d WHERE d.org_id = :org AND EXISTS (SELECT 1 FROM directory_identities i WHERE i.directory_id = d.id)`)).map((r) =>
        String(r.id),
      ),
    );
    const grants = new Map<string, ProductGrant[]>();
    for (const r of await q(`SELECT account_id, product, plan FROM (${GRANTS_SQL}) AS g WHERE account_id IN (${people})`)) {
      const key = String(r.account_id);
      grants.set(key, [...(grants.get(key) ?? []), { product: r.product as SiteProduct, plan: r.plan as ProductGrant['plan'] }]);
    }
    const trello = new Map<string, TrelloStanding>();
    for (const r of await q(`SELECT t.*, EXISTS (SELECT 1 FROM trello_licenses l WHERE l.account_id = t.account_id) AS licensed
         FROM trello_accounts t WHERE t.account_id IN (${people})`)) {
      trello.set(String(r.account_id), { account: toTrelloAccount(r), licensed: bool(r.licensed), workspaces: [] });
    }
    for (const r of await q(`SELECT m.account_id, w.id, w.plan, w.enterprise_id FROM trello_workspace_members m
         JOIN trello_workspaces w ON w.id = m.workspace_id WHERE m.account_id IN (${people})`)) {
      trello.get(String(r.account_id))?.workspaces.push({ id: String(r.id), plan: r.plan as TrelloWorkspace['plan'], enterpriseId: str(r.enterprise_id) });
    }
    return {
      org,
      adminIds: new Set(await this.listOrgAdminIds(orgId)),
      domains: await this.listDomains(orgId),
      directories: await this.listDirectories(orgId),
      connections: (await this.all('SELECT c.* FROM saml_connections c JOIN directories d ON d.id = c.directory_id WHERE d.org_id = ?', [orgId])).map(
        toConnection,
      ),
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
