import { conflict, notFound } from '../reasons.ts';
import { insertAccount } from '../accounts/account-service.ts';
import { publicAccount } from '../accounts/account.ts';
import { nowIso, type CoreContext } from '../context.ts';
import { maxIdpDirectories, type Directory } from '../directories/directory.ts';
import { defaultPolicySettings, type Policy } from '../policies/policy.ts';
import type { StoreTx } from '../store/store.ts';
import { requireAccount, requireOrg } from '../store/lookups.ts';
import { guardStanding, hasGuard, type Organization, type Plan, type Subscription } from './organization.ts';

/** Creates a directory with its default policy: a directory never lacks one. */
export async function insertDirectoryWithDefault(tx: StoreTx, ctx: CoreContext, orgId: string, kind: Directory['kind'], name: string) {
  const now = nowIso(ctx);
  const directory: Directory = { id: ctx.newId(), orgId, kind, name, scimFidelity: 'rfc', scimRateLimit: null, createdAt: now };
  await tx.insertDirectory(directory);
  // An IdP directory's default enforces SSO, as the product sets it up; the local one uses passwords.
  const settings = defaultPolicySettings(kind === 'local' ? 'Default policy' : `${name} default policy`, kind === 'local' ? 'disabled' : 'enforced');
  const policy: Policy = { ...settings, id: ctx.newId(), orgId, directoryId: directory.id, isDefault: true, createdAt: now, updatedAt: now };
  await tx.insertPolicy(policy);
  return { directory, policy };
}

/** Finds the account for an email, creating an invited one when none exists. */
export async function accountForEmail(tx: StoreTx, ctx: CoreContext, email: string, origin: 'invite' | 'signup' = 'invite') {
  return (await tx.getAccountByEmail(email)) ?? insertAccount(tx, ctx, { email, origin }, null);
}

export class OrgService {
  constructor(private readonly ctx: CoreContext) {}

  async create(input: { name: string; plan: Plan; subscription: Subscription; admins: string[] }) {
    return this.ctx.store.transaction(async (tx) => {
      const org: Organization = { id: this.ctx.newId(), name: input.name, plan: input.plan, subscription: input.subscription, createdAt: nowIso(this.ctx) };
      await tx.insertOrg(org);
      await insertDirectoryWithDefault(tx, this.ctx, org.id, 'local', 'Local directory');
      for (const email of input.admins) await tx.addOrgAdmin(org.id, (await accountForEmail(tx, this.ctx, email)).id);
      return this.view(tx, org);
    });
  }

  async list() {
    return this.ctx.store.read(async (tx) => Promise.all((await tx.listOrgs()).map((org) => this.view(tx, org))));
  }

  async get(orgId: string) {
    return this.ctx.store.read(async (tx) => this.view(tx, await requireOrg(tx, orgId)));
  }

  async update(orgId: string, patch: { name?: string; plan?: Plan; subscription?: Subscription }) {
    return this.ctx.store.transaction(async (tx) => {
      const current = await requireOrg(tx, orgId);
      if (patch.plan) {
        const idpCount = (await tx.listDirectories(orgId)).filter((d) => d.kind === 'idp').length;
        if (idpCount > maxIdpDirectories(patch.plan)) {
          throw conflict(
            'idp-directory-limit',
            `The ${patch.plan} plan allows ${maxIdpDirectories(patch.plan)} identity provider connection(s); this organization has ${idpCount}.`,
            [{ path: 'body.plan', message: 'too many identity provider directories for this plan' }],
          );
        }
      }
      if (hasGuard(current) && !hasGuard({ ...current, ...patch })) await this.refuseLosingGuard(tx, orgId);
      await tx.updateOrg(orgId, patch);
      // A linked Trello Enterprise carries the organization's name.
      const enterprise = patch.name ? await tx.getEnterpriseByOrg(orgId) : undefined;
      if (enterprise && patch.name) await tx.updateEnterprise(enterprise.id, { name: patch.name });
      return this.view(tx, (await tx.getOrg(orgId))!);
    });
  }

  async addAdmin(orgId: string, email: string) {
    return this.ctx.store.transaction(async (tx) => {
      const org = await requireOrg(tx, orgId);
      await tx.addOrgAdmin(orgId, (await accountForEmail(tx, this.ctx, email)).id);
      return this.view(tx, org);
    });
  }

  async removeAdmin(orgId: string, accountId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const org = await requireOrg(tx, orgId);
      await requireAccount(tx, accountId);
      const admins = await tx.listOrgAdminIds(orgId);
      if (!admins.includes(accountId)) throw notFound('admin-not-found', `Account ${accountId} is not an admin of ${orgId}.`);
      if (admins.length === 1) throw conflict('last-org-admin', 'An organization keeps at least one admin.');
      await tx.removeOrgAdmin(orgId, accountId);
      return this.view(tx, org);
    });
  }

  async managedAccounts(orgId: string, page: { limit: number; offset: number }) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      const { total, accounts } = await tx.listManagedAccounts(orgId, page);
      const items = [];
      for (const a of accounts) items.push({ ...publicAccount(a), policyId: (await tx.getMembership(a.id)) ?? null });
      return { total, ...page, accounts: items };
    });
  }

  /** Guard cannot go while the organization uses what it gives: it would be left in a state the product does not allow. */
  private async refuseLosingGuard(tx: StoreTx, orgId: string) {
    const inUse: string[] = [];
    const idp = (await tx.listDirectories(orgId)).filter((d) => d.kind === 'idp');
    if (idp.length) inUse.push(`${idp.length} identity provider directory(ies) (SAML single sign-on and user provisioning)`);
    const policies = await tx.listPolicies(orgId);
    if (policies.length > 1 + idp.length) inUse.push(`${policies.length} authentication policies`);
    if (policies.some((p) => !p.billable)) inUse.push('non-billable policies');
    if (inUse.length) {
      throw conflict(
        'subscription-in-use',
        `The organization uses what Atlassian Guard gives: ${inUse.join('; ')}. Remove them before the subscription goes.`,
        inUse.map((m) => ({ path: 'body.subscription', message: m })),
      );
    }
  }

  private async view(tx: StoreTx, org: Organization) {
    const admins = [];
    for (const id of await tx.listOrgAdminIds(org.id)) {
      const account = await tx.getAccount(id);
      if (account) admins.push({ accountId: id, email: account.email });
    }
    return { ...org, guard: guardStanding(org), admins };
  }
}
