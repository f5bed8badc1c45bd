import type { ScimSettings } from '../../directories/directory.ts';
import type { SiteProduct } from '../../products/product.ts';
import { indexedUserFields, type ScimGroupRecord, type ScimListQuery, type ScimMember, type ScimUserRecord } from '../../scim/scim-records.ts';
import type { ResourceKind } from '../../scim/filter.ts';
import { compileFilter, sortColumn } from './scim-filter-sql.ts';
import { list, toAccount, toDirectory, rateLimitColumn, toScimUser, toScimGroup, SCIM_USER_COLUMNS, scimUserValues, type Row } from './rows.ts';
import { TrelloRows } from './trello-rows.ts';

/** SCIM: tokens and settings, users and groups with their filters, members and group-to-product mappings. */
export abstract class ScimRows extends TrelloRows {
  // SCIM
  async setScimToken(directoryId: string, tokenHash: string) {
    await this.run('UPDATE directories SET scim_token_hash = ? WHERE id = ?', [tokenHash, directoryId]);
  }
  async findDirectoryByScimToken(tokenHash: string) {
    const r = await this.one('SELECT * FROM directories WHERE scim_token_hash = ?', [tokenHash]);
    return r && toDirectory(r);
  }
  async setScimSettings(directoryId: string, settings: ScimSettings) {
    await this.run('UPDATE directories SET scim_fidelity = ?, scim_rate_limit = ? WHERE id = ?', [
      settings.scimFidelity,
      rateLimitColumn(settings.scimRateLimit),
      directoryId,
    ]);
  }
  protected async writeEmails(u: ScimUserRecord, replacing: boolean) {
    if (replacing) await this.run('DELETE FROM scim_user_emails WHERE user_id = ?', [u.id]);
    for (const e of indexedUserFields(u.resource).emails) {
      await this.run('INSERT INTO scim_user_emails (user_id, value, type, is_primary) VALUES (?, ?, ?, ?)', [u.id, e.value, e.type, e.primary ? 1 : 0]);
    }
  }
  async insertScimUser(u: ScimUserRecord) {
    await this.run(`INSERT INTO scim_users (id, directory_id, ${SCIM_USER_COLUMNS.join(', ')}) VALUES (?, ?, ${SCIM_USER_COLUMNS.map(() => '?').join(', ')})`, [
      u.id,
      u.directoryId,
      ...scimUserValues(u),
    ]);
    await this.writeEmails(u, false);
  }
  async updateScimUser(u: ScimUserRecord) {
    await this.run(`UPDATE scim_users SET ${SCIM_USER_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...scimUserValues(u), u.id]);
    await this.writeEmails(u, true);
  }
  async getScimUser(directoryId: string, id: string) {
    const r = await this.one('SELECT * FROM scim_users WHERE id = ? AND directory_id = ?', [id, directoryId]);
    return r && toScimUser(r);
  }
  async findScimUserByUserName(directoryId: string, userName: string) {
    const r = await this.one('SELECT * FROM scim_users WHERE directory_id = ? AND user_name = ?', [directoryId, userName]);
    return r && toScimUser(r);
  }
  async findScimUserByAccount(directoryId: string, accountId: string) {
    const r = await this.one('SELECT * FROM scim_users WHERE directory_id = ? AND account_id = ?', [directoryId, accountId]);
    return r && toScimUser(r);
  }
  async listLinkedScimUsers(directoryId: string) {
    const rows = await this.all(
      `SELECT u.*, a.id AS a_id, a.email AS a_email, a.display_name AS a_display_name, a.public_name AS a_public_name, a.job_title AS a_job_title,
              a.department AS a_department, a.organization AS a_organization, a.timezone AS a_timezone, a.preferred_language AS a_preferred_language,
              a.active AS a_active, a.managed_by AS a_managed_by, a.origin AS a_origin, a.password_hash AS a_password_hash,
              a.password_changed_at AS a_password_changed_at, a.totp_secret AS a_totp_secret, a.recovery_codes AS a_recovery_codes,
              a.totp_last_step AS a_totp_last_step, a.first_login_at AS a_first_login_at, a.last_login_at AS a_last_login_at,
              a.profile_sources AS a_profile_sources, a.created_at AS a_created_at, a.updated_at AS a_updated_at
       FROM scim_users u JOIN accounts a ON a.id = u.account_id WHERE u.directory_id = ? ORDER BY u.user_name`,
      [directoryId],
    );
    const accountOf = (r: Row) =>
      toAccount(
        Object.fromEntries(
          Object.entries(r)
            .filter(([k]) => k.startsWith('a_'))
            .map(([k, v]) => [k.slice(2), v]),
        ),
      );
    return rows.map((r) => ({ record: toScimUser(r), account: accountOf(r) }));
  }
  async listScimUsersOfAccount(accountId: string) {
    return (await this.all('SELECT * FROM scim_users WHERE account_id = ?', [accountId])).map(toScimUser);
  }
  async deleteScimUser(id: string) {
    await this.run('DELETE FROM scim_users WHERE id = ?', [id]);
  }
  protected async listScim(kind: ResourceKind, table: string, directoryId: string, query: ScimListQuery) {
    const where = compileFilter(this.dialect, kind, query.filter);
    const params = [directoryId, ...where.params];
    const total = Number((await this.one(`SELECT count(*) AS n FROM ${table} r WHERE r.directory_id = ? AND ${where.sql}`, params))?.n ?? 0);
    if (query.count === 0) return { total, rows: [] as Row[] };
    const order = `${sortColumn(kind, query.sortBy)} ${query.descending ? 'DESC' : 'ASC'}`;
    const rows = await this.all(`SELECT r.* FROM ${table} r WHERE r.directory_id = ? AND ${where.sql} ORDER BY ${order}, r.id LIMIT ? OFFSET ?`, [
      ...params,
      query.count,
      query.startIndex - 1,
    ]);
    return { total, rows };
  }
  async listScimUsers(directoryId: string, query: ScimListQuery) {
    const { total, rows } = await this.listScim('User', 'scim_users', directoryId, query);
    return { total, users: rows.map(toScimUser) };
  }
  async countScimUsers(directoryId: string) {
    return Number((await this.one('SELECT count(*) AS n FROM scim_users WHERE directory_id = ?', [directoryId]))?.n ?? 0);
  }
  async insertScimGroup(g: ScimGroupRecord) {
    await this.run('INSERT INTO scim_groups (id, directory_id, display_name, external_id, version, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      g.id,
      g.directoryId,
      g.displayName,
      g.externalId,
      g.version,
      g.created,
      g.lastModified,
    ]);
  }
  async updateScimGroup(g: ScimGroupRecord) {
    await this.run('UPDATE scim_groups SET display_name = ?, external_id = ?, version = ?, last_modified = ? WHERE id = ?', [
      g.displayName,
      g.externalId,
      g.version,
      g.lastModified,
      g.id,
    ]);
  }
  async getScimGroup(directoryId: string, id: string) {
    const r = await this.one('SELECT * FROM scim_groups WHERE id = ? AND directory_id = ?', [id, directoryId]);
    return r && toScimGroup(r);
  }
  async findScimGroupByName(directoryId: string, displayName: string) {
    const r = await this.one('SELECT * FROM scim_groups WHERE directory_id = ? AND display_name = ?', [directoryId, displayName]);
    return r && toScimGroup(r);
  }
  async deleteScimGroup(id: string) {
    await this.run('DELETE FROM scim_groups WHERE id = ?', [id]);
    await this.run('DELETE FROM scim_group_members WHERE member_id = ?', [id]);
  }
  async listScimGroups(directoryId: string, query: ScimListQuery) {
    const { total, rows } = await this.listScim('Group', 'scim_groups', directoryId, query);
    return { total, groups: rows.map(toScimGroup) };
  }
  async listGroupMembers(groupIds: string[]) {
    return (
      await this.all(
        `SELECT group_id, member_id, member_type FROM scim_group_members WHERE group_id ${this.inList()} ORDER BY ${this.dialect.insertionOrder}`,
        [list(groupIds)],
      )
    ).map((r) => ({
      groupId: String(r.group_id),
      memberId: String(r.member_id),
      type: r.member_type as ScimMember['type'],
    }));
  }
  async countGroupMembers(groupId: string, type?: ScimMember['type']) {
    const sql = `SELECT count(*) AS n FROM scim_group_members WHERE group_id = ?${type ? ' AND member_type = ?' : ''}`;
    return Number((await this.one(sql, type ? [groupId, type] : [groupId]))?.n ?? 0);
  }
  async addGroupMembers(groupId: string, members: ScimMember[]) {
    return await this.run(
      `INSERT INTO scim_group_members (group_id, member_id, member_type)
       SELECT ?, memberId, type FROM ${this.dialect.records('?', ['memberId', 'type'])} AS m WHERE true ON CONFLICT DO NOTHING`,
      [groupId, JSON.stringify(members)],
    );
  }
  async removeGroupMembers(groupId: string, memberIds: string[] | 'all') {
    if (memberIds === 'all') return await this.run('DELETE FROM scim_group_members WHERE group_id = ?', [groupId]);
    return await this.run(`DELETE FROM scim_group_members WHERE group_id = ? AND member_id ${this.inList()}`, [groupId, list(memberIds)]);
  }
  async removeMemberEverywhere(memberId: string) {
    await this.run('DELETE FROM scim_group_members WHERE member_id = ?', [memberId]);
  }
  async resolveDirectoryMembers(directoryId: string, ids: string[]) {
    // CROSS JOIN fixes the join order: probe each id by primary key instead of
    // scanning every user of the directory (150,000 of them) through directory_id.
    const rows = await this.all(
      `SELECT u.id, 'User' AS type FROM ${this.dialect.ids(':ids', 'j')} ${this.dialect.orderedJoin} scim_users u ON u.id = j.value WHERE u.directory_id = :d
       UNION ALL SELECT g.id, 'Group' AS type FROM ${this.dialect.ids(':ids', 'j')} ${this.dialect.orderedJoin} scim_groups g ON g.id = j.value WHERE g.directory_id = :d`,
      { d: directoryId, ids: list(ids) },
    );
    return new Map(rows.map((r) => [String(r.id), r.type as ScimMember['type']]));
  }
  async listGroupsOfMembers(memberIds: string[]) {
    return (
      await this.all(
        `SELECT m.member_id, g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.member_id ${this.inList()} ORDER BY g.display_name`,
        [list(memberIds)],
      )
    ).map((r) => ({ memberId: String(r.member_id), groupId: String(r.id), displayName: String(r.display_name) }));
  }
  async removeIdentity(directoryId: string, accountId: string) {
    await this.run('DELETE FROM directory_identities WHERE directory_id = ? AND account_id = ?', [directoryId, accountId]);
  }
  async setGroupProductMapping(orgId: string, groupName: string, product: SiteProduct) {
    await this.run('INSERT INTO group_product_mappings (org_id, group_name, product) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [orgId, groupName, product]);
  }
  async deleteGroupProductMapping(orgId: string, groupName: string, product: SiteProduct) {
    return await this.run('DELETE FROM group_product_mappings WHERE org_id = ? AND group_name = ? AND product = ?', [orgId, groupName, product]);
  }
  async listGroupProductMappings(orgId: string) {
    return (await this.all('SELECT group_name, product FROM group_product_mappings WHERE org_id = ? ORDER BY group_name, product', [orgId])).map((r) => ({
      groupName: String(r.group_name),
      product: r.product as SiteProduct,
    }));
  }
}
