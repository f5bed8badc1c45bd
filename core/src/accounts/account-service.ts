import { conflict, forbidden, unprocessable } from '../reasons.ts';
import { nowIso, type CoreContext } from '../context.ts';
import type { StoreTx } from '../store/store.ts';
import { defaultPolicyOf, localDirectory, requireAccount } from '../store/lookups.ts';
import { defaultDisplayName, emailDomain, publicAccount, type Account, type AccountOrigin, type AccountProfile } from './account.ts';
import { checkNewPassword, hashPassword } from './password.ts';
import { recordSources, type SourcedField } from './profile-sources.ts';
import { carriedFields, lastSentProfile } from '../scim/user-resource.ts';

export interface NewAccount extends Partial<AccountProfile> {
  email: string;
  password?: string;
  origin?: AccountOrigin;
  active?: boolean;
}

/**
 * Creates the account inside a transaction. An email on a verified domain is
 * claimed at once: the account is managed and joins the local default policy.
 */
export async function insertAccount(
  tx: StoreTx,
  ctx: CoreContext,
  input: NewAccount,
  passwordHash: string | null,
  /** Where a claimed account lands instead of the local default (SCIM: the IdP directory's default). */
  landing?: { orgId: string; policyId: string },
): Promise<Account> {
  if (await tx.getAccountByEmail(input.email))
    throw conflict('email-taken', `An account with ${input.email} already exists.`, [{ path: 'body.email', message: 'already taken' }]);
  const now = nowIso(ctx);
  const owner = await tx.findVerifiedDomain(emailDomain(input.email));
  const account: Account = {
    id: ctx.newId(),
    email: input.email,
    displayName: input.displayName ?? defaultDisplayName(input.email),
    publicName: input.publicName ?? null,
    jobTitle: input.jobTitle ?? null,
    department: input.department ?? null,
    organization: input.organization ?? null,
    timezone: input.timezone ?? null,
    preferredLanguage: input.preferredLanguage ?? null,
    active: input.active ?? true,
    managedBy: owner?.orgId ?? null,
    origin: input.origin ?? 'signup',
    passwordHash,
    passwordChangedAt: passwordHash ? now : null,
    totpSecret: null,
    totpLastStep: null,
    recoveryCodeHashes: [],
    firstLoginAt: null,
    lastLoginAt: null,
    profileSources: {},
    createdAt: now,
    updatedAt: now,
  };
  // Each profile field given at creation was written by whoever created the account.
  account.profileSources = recordSources({}, undefined, account, input.origin ?? 'signup', now);
  await tx.insertAccount(account);
  if (owner && landing?.orgId === owner.orgId) await tx.setMembership([account.id], landing.policyId, now);
  else if (owner) await joinDefaultPolicy(tx, ctx, owner.orgId, [account.id]);
  return account;
}

/**
 * The fields an identity provider manages on an account: the email and the
 * profile fields a SCIM user of the managing organization's directories
 * carries. None for an account no IdP of its organization syncs.
 */
export async function syncedFields(tx: StoreTx, account: Account): Promise<Set<SourcedField>> {
  const fields = new Set<SourcedField>();
  if (!account.managedBy) return fields;
  for (const record of await tx.listScimUsersOfAccount(account.id)) {
    const directory = await tx.getDirectory(record.directoryId);
    const profile = directory?.orgId === account.managedBy ? lastSentProfile(record.resource) : undefined;
    if (!profile) continue;
    fields.add('email');
    for (const f of carriedFields(profile)) fields.add(f);
  }
  return fields;
}

/** Newly managed accounts land in the local directory's default policy. */
export async function joinDefaultPolicy(tx: StoreTx, ctx: CoreContext, orgId: string, accountIds: string[]): Promise<void> {
  if (!accountIds.length) return;
  const policy = await defaultPolicyOf(tx, (await localDirectory(tx, orgId)).id);
  await tx.setMembership(accountIds, policy.id, nowIso(ctx));
}

/** Hashes outside the transaction: scrypt is slow and the store is single-writer. */
export async function hashIfGiven(password: string | undefined, minStrength: Parameters<typeof checkNewPassword>[1] = null, inputs: string[] = []) {
  if (password === undefined) return null;
  const problem = checkNewPassword(password, minStrength, inputs);
  if (problem) throw unprocessable(problem.code, problem.message, [{ path: 'body.password', message: problem.message }]);
  return hashPassword(password);
}

export class AccountService {
  constructor(private readonly ctx: CoreContext) {}

  async create(input: NewAccount) {
    const hash = await hashIfGiven(input.password, null, [input.email]);
    return this.ctx.store.transaction(async (tx) => {
      const account = await insertAccount(tx, this.ctx, input, hash);
      return this.view(account, await tx.getMembership(account.id));
    });
  }

  /** All or nothing: one bad or duplicate email and no account is created. */
  async createMany(inputs: NewAccount[]) {
    const seen = new Set<string>();
    inputs.forEach((input, i) => {
      const key = input.email.toLowerCase();
      if (seen.has(key))
        throw conflict('email-taken', `${input.email} appears twice in the batch.`, [{ path: `body.accounts.${i}.email`, message: 'duplicate in batch' }]);
      seen.add(key);
    });
    const hashes = await Promise.all(inputs.map((input) => hashIfGiven(input.password, null, [input.email])));
    const accounts = await this.ctx.store.transaction(async (tx) => {
      const created: Account[] = [];
      for (const [i, input] of inputs.entries()) created.push(await insertAccount(tx, this.ctx, input, hashes[i]!));
      return created;
    });
    return { created: accounts.length, accounts: accounts.map((a) => ({ id: a.id, email: a.email, managed: a.managedBy !== null })) };
  }

  async get(accountId: string) {
    return this.ctx.store.read(async (tx) => this.view(await requireAccount(tx, accountId), await tx.getMembership(accountId)));
  }

  async findByEmail(email: string) {
    return this.ctx.store.read(async (tx) => {
      const account = await tx.getAccountByEmail(email);
      return account ? [this.view(account, await tx.getMembership(account.id))] : [];
    });
  }

  /**
   * An admin's edit. A managed account's email may only move within the
   * organization's verified domains, and the fields an identity provider syncs
   * to it are the IdP's to change (`managed-by-identity-provider`); the others
   * go through.
   */
  async update(accountId: string, patch: Partial<AccountProfile> & { email?: string }) {
    return this.ctx.store.transaction(async (tx) => {
      const account = await requireAccount(tx, accountId);
      const synced = await syncedFields(tx, account);
      const refused = Object.entries(patch).filter(
        ([f, v]) => v !== undefined && synced.has(f as SourcedField) && (account[f as SourcedField] ?? null) !== (v ?? null),
      );
      if (refused.length) {
        throw conflict(
          'managed-by-identity-provider',
          `${refused.map(([f]) => f).join(', ')} of ${account.email} ${refused.length === 1 ? 'is' : 'are'} synced from the identity provider: change ${refused.length === 1 ? 'it' : 'them'} there.`,
          refused.map(([f]) => ({ path: `body.${f}`, message: 'synced from the identity provider' })),
        );
      }
      if (patch.email !== undefined && patch.email.toLowerCase() !== account.email.toLowerCase()) {
        await this.checkEmailChange(tx, account, patch.email);
      }
      const now = nowIso(this.ctx);
      await tx.updateAccount(accountId, { ...patch, profileSources: recordSources(account.profileSources, account, patch, 'admin', now) }, now);
      const updated = (await tx.getAccount(accountId))!;
      if (patch.email !== undefined && updated.managedBy === null) {
        // An unmanaged account moving onto a verified domain is claimed, as at creation.
        const owner = await tx.findVerifiedDomain(emailDomain(updated.email));
        if (owner) {
          await tx.updateAccount(accountId, { managedBy: owner.orgId }, nowIso(this.ctx));
          await joinDefaultPolicy(tx, this.ctx, owner.orgId, [accountId]);
        }
      }
      return this.view((await tx.getAccount(accountId))!, await tx.getMembership(accountId));
    });
  }

  private async checkEmailChange(tx: StoreTx, account: Account, email: string) {
    const taken = await tx.getAccountByEmail(email);
    if (taken && taken.id !== account.id)
      throw conflict('email-taken', `An account with ${email} already exists.`, [{ path: 'body.email', message: 'already taken' }]);
    if (account.managedBy) {
      const owner = await tx.findVerifiedDomain(emailDomain(email));
      if (owner?.orgId !== account.managedBy) {
        throw unprocessable(
          'managed-email-off-domain',
          `${account.email} is a managed account: its email can only move to another verified domain of its organization.`,
          [{ path: 'body.email', message: 'not on a verified domain of the managing organization' }],
        );
      }
    }
  }

  async setPassword(accountId: string, password: string) {
    const { account, minStrength } = await this.ctx.store.read(async (tx) => {
      const account = await requireAccount(tx, accountId);
      const policyId = await tx.getMembership(accountId);
      const policy = policyId ? await tx.getPolicy(policyId) : undefined;
      return { account, minStrength: policy?.passwordMinStrength ?? null };
    });
    const hash = (await hashIfGiven(password, minStrength, [account.email, account.displayName]))!;
    return this.ctx.store.transaction(async (tx) => {
      await requireAccount(tx, accountId);
      const now = nowIso(this.ctx);
      await tx.updateAccount(accountId, { passwordHash: hash, passwordChangedAt: now }, now);
      return { accountId, passwordChangedAt: now };
    });
  }

  /** Deactivating the account deactivates its Trello account too (not the reverse). */
  async setActive(accountId: string, active: boolean) {
    return this.ctx.store.transaction(async (tx) => {
      await requireAccount(tx, accountId);
      await tx.updateAccount(accountId, { active }, nowIso(this.ctx));
      if (await tx.getTrelloAccount(accountId)) await tx.updateTrelloAccount(accountId, { active });
      return this.view((await tx.getAccount(accountId))!, await tx.getMembership(accountId));
    });
  }

  async resetTwoStep(accountId: string) {
    return this.ctx.store.transaction(async (tx) => {
      await requireAccount(tx, accountId);
      await tx.updateAccount(accountId, { totpSecret: null, recoveryCodeHashes: [], totpLastStep: null }, nowIso(this.ctx));
      return this.view((await tx.getAccount(accountId))!, await tx.getMembership(accountId));
    });
  }

  /** An admin deletes an account (managed or not); an org admin's last seat is protected. */
  async delete(accountId: string) {
    await this.ctx.store.transaction(async (tx) => {
      await requireAccount(tx, accountId);
      await this.refuseIfLastAdmin(tx, accountId);
      await tx.deleteAccount(accountId);
    });
  }

  /** The user's own action: a managed account cannot delete itself. */
  async selfDelete(accountId: string) {
    await this.ctx.store.transaction(async (tx) => {
      const account = await requireAccount(tx, accountId);
      if (account.managedBy) throw forbidden('managed-account-cannot-self-delete', 'A managed account cannot delete itself; an organization admin can.');
      await this.refuseIfLastAdmin(tx, accountId);
      await tx.deleteAccount(accountId);
    });
  }

  /** The user's own action: a managed account cannot change its email at all. */
  async selfChangeEmail(accountId: string, email: string) {
    const account = await this.ctx.store.read((tx) => requireAccount(tx, accountId));
    if (account.managedBy)
      throw forbidden('managed-account-email-locked', 'A managed account cannot change its own email; an organization admin can, within the verified domains.');
    return this.update(accountId, { email });
  }

  private async refuseIfLastAdmin(tx: StoreTx, accountId: string) {
    for (const orgId of await tx.listAdminOrgIds(accountId)) {
      if ((await tx.listOrgAdminIds(orgId)).length === 1) {
        throw conflict('last-org-admin', `This account is the last admin of organization ${orgId}; add another admin first.`);
      }
    }
  }

  view(account: Account, policyId?: string) {
    return { ...publicAccount(account), policyId: policyId ?? null };
  }
}
