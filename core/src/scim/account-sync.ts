import { insertAccount } from '../accounts/account-service.ts';
import { emailDomain, type Account, type ProfileField } from '../accounts/account.ts';
import { recordSources } from '../accounts/profile-sources.ts';
import { nowIso, type CoreContext } from '../context.ts';
import type { Directory } from '../directories/directory.ts';
import { defaultPolicyOf } from '../store/lookups.ts';
import type { StoreTx } from '../store/store.ts';
import { ScimError, scimConflict } from './scim-error.ts';
import type { AuditChange } from './scim-records.ts';
import { carriedFields, profileDiff, type ScimAccountProfile } from './user-resource.ts';

/**
 * What a SCIM user does to the account it is linked to, as the product does it.
 *
 * - `managed`: the directory's organization manages the account (its email is
 *   on a domain the organization verified). The IdP manages the profile fields
 *   it sends, the account's active state, and, when the link is made, the
 *   policy (the directory's default).
 * - `external`: nobody manages the account (a domain no organization
 *   verified). The product syncs such users but leaves the account alone: the
 *   SCIM record changes, the account does not, and the audit says what was
 *   skipped. (doc: "Users with email domains that aren't verified ... we won't
 *   update their account details.")
 * - `foreign`: another organization manages the account. Refused as a
 *   duplicate, so nothing more is revealed about it.
 */
export type Standing = 'managed' | 'external' | 'foreign';

export function standingOf(dir: Directory, account: Account): Standing {
  if (account.managedBy === dir.orgId) return 'managed';
  return account.managedBy === null ? 'external' : 'foreign';
}

/** The refusal for an account another organization manages. */
export const foreignAccount = (email: string) =>
  scimConflict(
    `${email} belongs to an account this organization does not manage: a directory links only accounts on its organization's verified domains or accounts nobody manages.`,
  );

export class AccountSync {
  constructor(private readonly ctx: CoreContext) {}

  /**
   * A SCIM user linked to an account for the first time: a new account is made
   * with the profile, an existing one takes the profile if the organization
   * manages it and lands in the directory's default policy (the portal-user
   * trap: that policy is billable).
   */
  async link(
    tx: StoreTx,
    dir: Directory,
    existing: Account | undefined,
    profile: ScimAccountProfile,
  ): Promise<{ account: Account; changes: AuditChange[]; operation: string }> {
    if (existing && (await tx.findScimUserByAccount(dir.id, existing.id))) {
      throw scimConflict(`The account for ${profile.email} is already provisioned in this directory.`);
    }
    if (!existing) {
      const landing = { orgId: dir.orgId, policyId: (await defaultPolicyOf(tx, dir.id)).id };
      const account = await insertAccount(tx, this.ctx, { ...profile, origin: 'scim' }, null, landing);
      const changes: AuditChange[] = [
        { attribute: 'email', before: null, after: profile.email },
        ...carriedFields(profile).map((f) => ({ attribute: f, before: null, after: profile[f] })),
      ];
      if (account.managedBy === dir.orgId) changes.push({ attribute: 'policy', before: null, after: landing.policyId });
      changes.push(...(await this.ensureTrelloAccount(tx, dir, account)));
      return { account, changes, operation: 'create-user' };
    }
    const standing = standingOf(dir, existing);
    if (standing === 'foreign') throw foreignAccount(profile.email);
    if (standing === 'external') return { account: existing, changes: skipped(existing, profile, carriedFields(profile)), operation: 'link-external-user' };
    const changes = await this.apply(tx, existing, profile, carriedFields(profile));
    // (doc) SCIM-provisioned users land in their IdP directory's default policy, which is billable;
    // afterwards an admin may move them between billable policies, and the next sync leaves that alone.
    const policyId = await tx.getMembership(existing.id);
    const policy = policyId ? await tx.getPolicy(policyId) : undefined;
    if (policy?.directoryId !== dir.id) {
      const target = await defaultPolicyOf(tx, dir.id);
      await tx.setMembership([existing.id], target.id, nowIso(this.ctx));
      changes.push({ attribute: 'policy', before: policy?.id ?? null, after: target.id });
    }
    changes.push(...(await this.ensureTrelloAccount(tx, dir, existing)));
    return { account: existing, changes, operation: 'link-user' };
  }

  /**
   * A SCIM write to a linked user: the fields the IdP sends now, or sent before
   * and no longer does (they are cleared), and the active state. The policy is
   * not touched. Nothing is written to an account the organization does not manage.
   */
  async update(tx: StoreTx, dir: Directory, account: Account, before: ScimAccountProfile | undefined, after: ScimAccountProfile): Promise<AuditChange[]> {
    const standing = standingOf(dir, account);
    if (standing === 'foreign') throw foreignAccount(account.email);
    const fields = [...new Set([...carriedFields(after), ...carriedFields(before)])];
    if (standing === 'external') return skipped(account, after, fields);
    if (account.active && !after.active) await this.refuseLastActiveAdmin(tx, dir, account);
    const changes = await this.apply(tx, account, after, fields);
    return [...changes, ...(await this.ensureTrelloAccount(tx, dir, account))];
  }

  /** A SCIM user deleted: its account is deactivated when the organization manages it, and left alone otherwise. */
  async deprovision(tx: StoreTx, dir: Directory, account: Account): Promise<AuditChange[]> {
    if (standingOf(dir, account) !== 'managed')
      return account.active ? [{ attribute: 'active', before: true, after: true, skipped: 'not-managed-by-this-organization' }] : [];
    if (!account.active) return [];
    await this.refuseLastActiveAdmin(tx, dir, account);
    await this.setActive(tx, account.id, false);
    return [{ attribute: 'active', before: true, after: false }];
  }

  /**
   * Whether a SCIM email change keeps the link: yes within the organization's
   * verified domains. Off them the product accepts the change and unlinks the
   * account from the SCIM user, which loses its synced group memberships: a trap
   * to rehearse, shown in the plan and the audit log.
   */
  async emailStaysLinked(tx: StoreTx, dir: Directory, email: string): Promise<boolean> {
    return (await tx.findVerifiedDomain(emailDomain(email)))?.orgId === dir.orgId;
  }

  /**
   * The organization's last active admin cannot be deactivated by a sync:
   * nobody would be left to administer it (and to undo the sync). Refused with
   * a SCIM error the IdP's provisioning log shows.
   */
  private async refuseLastActiveAdmin(tx: StoreTx, dir: Directory, account: Account) {
    const adminIds = await tx.listOrgAdminIds(dir.orgId);
    if (!adminIds.includes(account.id)) return;
    for (const id of adminIds) if (id !== account.id && (await tx.getAccount(id))?.active) return;
    throw new ScimError(
      409,
      undefined,
      `last-active-org-admin: ${account.email} is the last active admin of the organization; deactivating it would leave nobody to administer it. Add another admin first.`,
    );
  }

  /** Writes `fields` (and the email and active state) from the profile; returns what changed, each field's writer recorded. */
  private async apply(tx: StoreTx, account: Account, profile: ScimAccountProfile, fields: ProfileField[]): Promise<AuditChange[]> {
    const now = nowIso(this.ctx);
    const written: Pick<Account, 'email'> & Partial<Pick<Account, ProfileField>> = { email: profile.email };
    for (const f of fields) (written as Record<string, unknown>)[f] = profile[f];
    if (written.email !== account.email) {
      const taken = await tx.getAccountByEmail(profile.email);
      if (taken && taken.id !== account.id) throw scimConflict(`Another account already uses ${profile.email}.`);
    }
    const changes: AuditChange[] = profileDiff(account, profile, fields);
    if (changes.length)
      await tx.updateAccount(account.id, { ...written, profileSources: recordSources(account.profileSources, account, written, 'scim', now) }, now);
    if (account.active !== profile.active) {
      await this.setActive(tx, account.id, profile.active);
      changes.push({ attribute: 'active', before: account.active, after: profile.active });
    }
    return changes;
  }

  private async setActive(tx: StoreTx, accountId: string, active: boolean) {
    await tx.updateAccount(accountId, { active }, nowIso(this.ctx));
    if (await tx.getTrelloAccount(accountId)) await tx.updateTrelloAccount(accountId, { active });
  }

  /** With a linked Trello Enterprise, synced managed users get a free Trello account (billed from first login). */
  private async ensureTrelloAccount(tx: StoreTx, dir: Directory, account: Account): Promise<AuditChange[]> {
    if (account.managedBy !== dir.orgId) return [];
    const enterprise = await tx.getEnterpriseByOrg(dir.orgId);
    if (!enterprise || (await tx.getTrelloAccount(account.id))) return [];
    await tx.insertTrelloAccount({ accountId: account.id, active: account.active, origin: 'scim', createdAt: nowIso(this.ctx) });
    return [{ attribute: 'trelloAccount', before: null, after: 'created' }];
  }
}

/** What a write would have changed on an account the organization does not manage: recorded as skipped, with why. */
function skipped(account: Account, profile: ScimAccountProfile, fields: ProfileField[]): AuditChange[] {
  const changes: AuditChange[] = profileDiff(account, profile, fields).map((c) => ({ ...c, skipped: 'not-managed-by-this-organization' }));
  if (account.active !== profile.active)
    changes.push({ attribute: 'active', before: account.active, after: profile.active, skipped: 'not-managed-by-this-organization' });
  return changes;
}
