import type { TrelloAccount, TrelloBoard, TrelloEnterprise, TrelloWorkspace } from '../../trello/trello.ts';
import { list, toEnterprise, toTrelloAccount, toWorkspace, toBoard } from './rows.ts';
import { PolicyRows } from './policy-rows.ts';

/** Trello: enterprises, workspaces, boards and licenses. */
export abstract class TrelloRows extends PolicyRows {
  // Trello
  async insertEnterprise(e: TrelloEnterprise) {
    await this.run('INSERT INTO trello_enterprises (id, name, org_id, linked_at, created_at) VALUES (?, ?, ?, ?, ?)', [
      e.id,
      e.name,
      e.orgId,
      e.linkedAt,
      e.createdAt,
    ]);
  }
  async getEnterprise(id: string) {
    const r = await this.one('SELECT * FROM trello_enterprises WHERE id = ?', [id]);
    return r && toEnterprise(r);
  }
  async getEnterpriseByOrg(orgId: string) {
    const r = await this.one('SELECT * FROM trello_enterprises WHERE org_id = ?', [orgId]);
    return r && toEnterprise(r);
  }
  async updateEnterprise(id: string, patch: Partial<Pick<TrelloEnterprise, 'name' | 'orgId' | 'linkedAt'>>) {
    await this.update('trello_enterprises', { name: 'name', orgId: 'org_id', linkedAt: 'linked_at' }, id, patch);
  }
  async addEnterpriseAdmin(enterpriseId: string, accountId: string) {
    await this.run('INSERT INTO trello_enterprise_admins (enterprise_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [enterpriseId, accountId]);
  }
  async listEnterpriseAdminIds(enterpriseId: string) {
    return (await this.all('SELECT account_id FROM trello_enterprise_admins WHERE enterprise_id = ?', [enterpriseId])).map((r) => String(r.account_id));
  }
  async insertTrelloAccount(t: TrelloAccount) {
    await this.run('INSERT INTO trello_accounts (account_id, active, origin, created_at) VALUES (?, ?, ?, ?)', [
      t.accountId,
      t.active ? 1 : 0,
      t.origin,
      t.createdAt,
    ]);
  }
  async getTrelloAccount(accountId: string) {
    const r = await this.one('SELECT * FROM trello_accounts WHERE account_id = ?', [accountId]);
    return r && toTrelloAccount(r);
  }
  async updateTrelloAccount(accountId: string, patch: Partial<Pick<TrelloAccount, 'active'>>) {
    if (patch.active !== undefined) await this.run('UPDATE trello_accounts SET active = ? WHERE account_id = ?', [patch.active ? 1 : 0, accountId]);
  }
  async insertWorkspace(w: TrelloWorkspace) {
    await this.run('INSERT INTO trello_workspaces (id, name, plan, enterprise_id, created_at) VALUES (?, ?, ?, ?, ?)', [
      w.id,
      w.name,
      w.plan,
      w.enterpriseId,
      w.createdAt,
    ]);
  }
  async getWorkspace(id: string) {
    const r = await this.one('SELECT * FROM trello_workspaces WHERE id = ?', [id]);
    return r && toWorkspace(r);
  }
  async listWorkspaces(enterpriseId: string) {
    return (await this.all('SELECT * FROM trello_workspaces WHERE enterprise_id = ? ORDER BY name', [enterpriseId])).map(toWorkspace);
  }
  async addWorkspaceMembers(workspaceId: string, accountIds: string[]) {
    await this.run(
      `INSERT INTO trello_workspace_members (workspace_id, account_id) SELECT ?, value FROM ${this.dialect.ids('?', 'ids')} WHERE true ON CONFLICT DO NOTHING`,
      [workspaceId, list(accountIds)],
    );
  }
  async removeWorkspaceMember(workspaceId: string, accountId: string) {
    await this.run('DELETE FROM trello_workspace_members WHERE workspace_id = ? AND account_id = ?', [workspaceId, accountId]);
  }
  async listWorkspaceIdsOf(accountId: string) {
    return (await this.all('SELECT workspace_id FROM trello_workspace_members WHERE account_id = ?', [accountId])).map((r) => String(r.workspace_id));
  }
  async insertBoard(b: TrelloBoard) {
    await this.run('INSERT INTO trello_boards (id, workspace_id, name, visibility, created_at) VALUES (?, ?, ?, ?, ?)', [
      b.id,
      b.workspaceId,
      b.name,
      b.visibility,
      b.createdAt,
    ]);
  }
  async listBoards(workspaceIds: string[]) {
    return (await this.all(`SELECT * FROM trello_boards WHERE workspace_id ${this.inList()} ORDER BY name`, [list(workspaceIds)])).map(toBoard);
  }
  async addLicenses(enterpriseId: string, accountIds: string[]) {
    await this.run(
      `INSERT INTO trello_licenses (enterprise_id, account_id) SELECT ?, value FROM ${this.dialect.ids('?', 'ids')} WHERE true ON CONFLICT DO NOTHING`,
      [enterpriseId, list(accountIds)],
    );
  }
  async removeLicense(enterpriseId: string, accountId: string) {
    await this.run('DELETE FROM trello_licenses WHERE enterprise_id = ? AND account_id = ?', [enterpriseId, accountId]);
  }
  async listLicensedIds(enterpriseId: string) {
    return (await this.all('SELECT account_id FROM trello_licenses WHERE enterprise_id = ?', [enterpriseId])).map((r) => String(r.account_id));
  }
  async listEnterpriseMemberIds(enterpriseId: string) {
    return (
      await this.all(
        `SELECT account_id FROM trello_licenses WHERE enterprise_id = :e
       UNION SELECT m.account_id FROM trello_workspace_members m JOIN trello_workspaces w ON w.id = m.workspace_id WHERE w.enterprise_id = :e
       UNION SELECT t.account_id FROM trello_accounts t JOIN accounts a ON a.id = t.account_id
         JOIN trello_enterprises e ON e.id = :e AND e.org_id IS NOT NULL AND a.managed_by = e.org_id`,
        { e: enterpriseId },
      )
    ).map((r) => String(r.account_id));
  }
}
