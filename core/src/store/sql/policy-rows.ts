import type { Policy } from '../../policies/policy.ts';
import type { OrgProduct, SiteProduct } from '../../products/product.ts';
import type { Page } from '../store.ts';
import { str, list, toAccount, toPolicy, GRANTS_SQL, POLICY_COLUMNS } from './rows.ts';
import { AccountRows } from './account-rows.ts';

/** Authentication policies with their members, and the products an organization grants. */
export abstract class PolicyRows extends AccountRows {
  // policies
  async insertPolicy(p: Policy) {
    await this.run(
      `INSERT INTO policies (id, org_id, directory_id, name, sso, two_step, password_min_strength, password_expiry_days, idle_minutes,
        session_expiry_minutes, billable, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        p.id,
        p.orgId,
        p.directoryId,
        p.name,
        p.sso,
        p.twoStep,
        p.passwordMinStrength,
        p.passwordExpiryDays,
        p.idleMinutes,
        p.sessionExpiryMinutes,
        p.billable ? 1 : 0,
        p.isDefault ? 1 : 0,
        p.createdAt,
        p.updatedAt,
      ],
    );
  }
  async getPolicy(id: string) {
    const r = await this.one('SELECT * FROM policies WHERE id = ?', [id]);
    return r && toPolicy(r);
  }
  async listPolicies(orgId: string) {
    return (await this.all('SELECT * FROM policies WHERE org_id = ? ORDER BY created_at, id', [orgId])).map(toPolicy);
  }
  async updatePolicy(id: string, patch: Partial<Omit<Policy, 'id' | 'orgId' | 'directoryId' | 'createdAt'>>) {
    await this.update('policies', POLICY_COLUMNS, id, patch);
  }
  async deletePolicy(id: string) {
    await this.run('DELETE FROM policies WHERE id = ?', [id]);
  }
  async getDefaultPolicy(directoryId: string) {
    const r = await this.one('SELECT * FROM policies WHERE directory_id = ? AND is_default = 1', [directoryId]);
    return r && toPolicy(r);
  }
  async setMembership(accountIds: string[], policyId: string, addedAt: string) {
    await this.run(
      `INSERT INTO policy_members (account_id, policy_id, added_at) SELECT value, ?, ? FROM ${this.dialect.ids('?', 'ids')} WHERE true
       ON CONFLICT (account_id) DO UPDATE SET policy_id = excluded.policy_id, added_at = excluded.added_at
       WHERE policy_members.policy_id <> excluded.policy_id`,
      [policyId, addedAt, list(accountIds)],
    );
  }
  async removeMembership(accountIds: string[]) {
    await this.run(`DELETE FROM policy_members WHERE account_id ${this.inList()}`, [list(accountIds)]);
  }
  async getMembership(accountId: string) {
    return str((await this.one('SELECT policy_id FROM policy_members WHERE account_id = ?', [accountId]))?.policy_id) ?? undefined;
  }
  async listMembers(policyId: string, page: Page) {
    return await this.paged(
      'SELECT count(*) AS n FROM policy_members WHERE policy_id = ?',
      'SELECT a.* FROM policy_members m JOIN accounts a ON a.id = m.account_id WHERE m.policy_id = ? ORDER BY a.email',
      [policyId],
      page,
    );
  }
  async moveAllMembers(fromPolicyId: string, toPolicyId: string, addedAt: string) {
    return await this.run('UPDATE policy_members SET policy_id = ?, added_at = ? WHERE policy_id = ?', [toPolicyId, addedAt, fromPolicyId]);
  }

  // products
  async setOrgProduct(p: OrgProduct) {
    await this.run('INSERT INTO org_products (org_id, product, plan) VALUES (?, ?, ?) ON CONFLICT (org_id, product) DO UPDATE SET plan = excluded.plan', [
      p.orgId,
      p.product,
      p.plan,
    ]);
  }
  async deleteOrgProduct(orgId: string, product: SiteProduct) {
    await this.run('DELETE FROM org_products WHERE org_id = ? AND product = ?', [orgId, product]);
  }
  async listOrgProducts(orgId: string) {
    return (await this.all('SELECT * FROM org_products WHERE org_id = ? ORDER BY product', [orgId])).map((r): OrgProduct => ({
      orgId: String(r.org_id),
      product: r.product as SiteProduct,
      plan: r.plan as OrgProduct['plan'],
    }));
  }
  async grantAccess(orgId: string, product: SiteProduct, accountIds: string[], grantedAt: string) {
    return await this.run(
      `INSERT INTO product_access (org_id, product, account_id, granted_at) SELECT ?, ?, value, ? FROM ${this.dialect.ids('?', 'ids')} WHERE true ON CONFLICT DO NOTHING`,
      [orgId, product, grantedAt, list(accountIds)],
    );
  }
  async revokeAccess(orgId: string, product: SiteProduct, accountIds: string[]) {
    return await this.run(`DELETE FROM product_access WHERE org_id = ? AND product = ? AND account_id ${this.inList()}`, [orgId, product, list(accountIds)]);
  }
  async listAccess(orgId: string, product: SiteProduct, page: Page) {
    const granted = `SELECT DISTINCT account_id FROM (${GRANTS_SQL}) AS g WHERE product = :product`;
    const params = { org: orgId, product };
    const total = Number((await this.one(`SELECT count(*) AS n FROM (${granted}) AS granted`, params))?.n ?? 0);
    const accounts = (
      await this.all(`SELECT a.* FROM accounts a WHERE a.id IN (${granted}) ORDER BY a.email LIMIT :limit OFFSET :offset`, { ...params, ...page })
    ).map(toAccount);
    return { total, accounts };
  }

  async listProductsOf(orgId: string, accountId: string) {
    return (
      await this.all(`SELECT DISTINCT product FROM (${GRANTS_SQL}) AS g WHERE account_id = :account ORDER BY product`, { org: orgId, account: accountId })
    ).map((r) => String(r.product) as SiteProduct);
  }
}
