import { type Account, emailDomain } from '../../accounts/account.ts';
import type { AccountPatch, Page } from '../store.ts';
import { list, toAccount, ACCOUNT_COLUMNS } from './rows.ts';
import { OrgRows } from './org-rows.ts';

/** Accounts: the people, managed or not. */
export abstract class AccountRows extends OrgRows {
  // accounts
  async insertAccount(a: Account) {
    await this.run(
      `INSERT INTO accounts (id, email, email_domain, display_name, public_name, job_title, department, organization, timezone,
        preferred_language, active, managed_by, origin, password_hash, password_changed_at, totp_secret, recovery_codes,
        first_login_at, last_login_at, profile_sources, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        a.id,
        a.email,
        emailDomain(a.email),
        a.displayName,
        a.publicName,
        a.jobTitle,
        a.department,
        a.organization,
        a.timezone,
        a.preferredLanguage,
        a.active ? 1 : 0,
        a.managedBy,
        a.origin,
        a.passwordHash,
        a.passwordChangedAt,
        a.totpSecret,
        JSON.stringify(a.recoveryCodeHashes),
        a.firstLoginAt,
        a.lastLoginAt,
        JSON.stringify(a.profileSources),
        a.createdAt,
        a.updatedAt,
      ],
    );
  }
  async getAccount(id: string) {
    const r = await this.one('SELECT * FROM accounts WHERE id = ?', [id]);
    return r && toAccount(r);
  }
  async getAccountByEmail(email: string) {
    const r = await this.one('SELECT * FROM accounts WHERE email = ?', [email]);
    return r && toAccount(r);
  }
  async getAccountsByEmail(emails: string[]) {
    return (await this.all(`SELECT * FROM accounts WHERE email ${this.inList('?', true)}`, [list(emails)])).map(toAccount);
  }
  async updateAccount(id: string, patch: AccountPatch, updatedAt: string) {
    const columns = { ...ACCOUNT_COLUMNS, updatedAt: 'updated_at', emailDomain: 'email_domain' } as Record<string, string>;
    const extra: Record<string, unknown> = { updatedAt };
    if (patch.email !== undefined) extra.emailDomain = emailDomain(patch.email);
    await this.update('accounts', columns, id, patch, extra);
  }
  async deleteAccount(id: string) {
    await this.run('DELETE FROM accounts WHERE id = ?', [id]);
  }
  async claimAccountsOnDomain(domain: string, orgId: string, updatedAt: string) {
    const ids = (await this.all('SELECT id FROM accounts WHERE email_domain = ? AND managed_by IS NULL', [domain])).map((r) => String(r.id));
    await this.run('UPDATE accounts SET managed_by = ?, updated_at = ? WHERE email_domain = ? AND managed_by IS NULL', [orgId, updatedAt, domain]);
    return ids;
  }
  async releaseAccountsOnDomain(domain: string, orgId: string, updatedAt: string) {
    const ids = (await this.all('SELECT id FROM accounts WHERE email_domain = ? AND managed_by = ?', [domain, orgId])).map((r) => String(r.id));
    await this.run('UPDATE accounts SET managed_by = NULL, updated_at = ? WHERE email_domain = ? AND managed_by = ?', [updatedAt, domain, orgId]);
    return ids;
  }
  async listManagedAccounts(orgId: string, page: Page) {
    return await this.paged(
      'SELECT count(*) AS n FROM accounts WHERE managed_by = ?',
      'SELECT * FROM accounts WHERE managed_by = ? ORDER BY email',
      [orgId],
      page,
    );
  }
}
