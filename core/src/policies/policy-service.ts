import { badRequest, conflict, notFound, unprocessable, type CoreReason } from '../reasons.ts';
import { nowIso, type CoreContext } from '../context.ts';
import { previewRollout, rolloutBlockers } from '../rollout/rollout-preview.ts';
import type { StoreTx } from '../store/store.ts';
import { uniqueViolationTable } from '../store/store-errors.ts';
import { defaultPolicyOf, localDirectory, requireAccount, requireDirectory, requireOrg, requirePolicy } from '../store/lookups.ts';
import { checkPolicy, defaultPolicySettings, memberRefusal, type Policy, type PolicySettings, type PolicyViolation } from './policy.ts';
import { requireGuard } from '../orgs/organization.ts';

/** A rollout as an admin asks for it: members to add, settings to change. */
export interface RolloutRequest {
  addMembers?: string[];
  settings?: Partial<PolicySettings>;
}

function refuse(violations: PolicyViolation[]): never {
  const [first] = violations;
  throw unprocessable(
    first!.code,
    first!.message,
    violations.map((v) => ({ path: `body.${v.field}`, message: v.message, code: v.code })),
  );
}

const isUniqueViolation = (err: unknown) => uniqueViolationTable(err) !== undefined;

export class PolicyService {
  constructor(private readonly ctx: CoreContext) {}

  async list(orgId: string) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      const views = [];
      for (const p of await tx.listPolicies(orgId)) views.push(await this.view(tx, p));
      return views;
    });
  }

  async get(orgId: string, policyId: string) {
    return this.ctx.store.read(async (tx) => this.view(tx, await requirePolicy(tx, orgId, policyId)));
  }

  async create(orgId: string, input: Partial<PolicySettings> & { name: string; directoryId?: string }) {
    return this.ctx.store.transaction(async (tx) => {
      const org = await requireOrg(tx, orgId);
      // Without Guard an organization has its one default policy, billable.
      requireGuard(org, 'more than one authentication policy');
      const directory = input.directoryId ? await requireDirectory(tx, orgId, input.directoryId) : await localDirectory(tx, orgId);
      const { directoryId: _ignored, ...given } = input;
      const base = defaultPolicySettings(input.name, given.sso ?? 'disabled');
      const now = nowIso(this.ctx);
      const policy: Policy = { ...base, ...given, id: this.ctx.newId(), orgId, directoryId: directory.id, isDefault: false, createdAt: now, updatedAt: now };
      const violations = checkPolicy(policy, directory);
      if (violations.length) refuse(violations);
      await this.insertOrRefuseName(tx, policy);
      return this.view(tx, policy);
    });
  }

  async update(orgId: string, policyId: string, patch: Partial<PolicySettings>) {
    return this.ctx.store.transaction(async (tx) => this.view(tx, await this.changeSettings(tx, orgId, await requirePolicy(tx, orgId, policyId), patch)));
  }

  /** New settings, checked against the policy rules and its members (synced members stay billable), names unique. */
  private async changeSettings(tx: StoreTx, orgId: string, policy: Policy, patch: Partial<PolicySettings>): Promise<Policy> {
    if (patch.billable === false && policy.billable) requireGuard(await requireOrg(tx, orgId), 'non-billable policies', 'body.billable');
    const directory = await requireDirectory(tx, orgId, policy.directoryId);
    const next: Policy = { ...policy, ...patch, updatedAt: nowIso(this.ctx) };
    const violations = checkPolicy(next, directory);
    if (policy.billable && !next.billable) {
      const synced = await this.syncedMembers(tx, policy.id);
      if (synced.length) {
        violations.push({
          code: 'synced-member-in-non-billable-policy',
          field: 'billable',
          message: `${synced.length} member(s) are synced from an identity provider and cannot be in a non-billable policy (e.g. ${synced[0]}).`,
        });
      }
    }
    if (violations.length) refuse(violations);
    try {
      await tx.updatePolicy(policy.id, { ...patch, updatedAt: next.updatedAt });
    } catch (err) {
      if (isUniqueViolation(err))
        throw conflict('policy-name-taken', `A policy named "${next.name}" exists.`, [{ path: 'body.name', message: 'already taken' }]);
      throw err;
    }
    return next;
  }

  /** The default cannot be deleted; a deleted policy's members go to its directory's default. */
  async delete(orgId: string, policyId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const policy = await requirePolicy(tx, orgId, policyId);
      if (policy.isDefault)
        throw conflict('default-policy-undeletable', 'The default policy of a directory cannot be deleted; make another policy the default first.');
      const fallback = await defaultPolicyOf(tx, policy.directoryId);
      const moved = await tx.moveAllMembers(policyId, fallback.id, nowIso(this.ctx));
      await tx.deletePolicy(policyId);
      return { deleted: policyId, movedMembers: moved, movedTo: fallback.id };
    });
  }

  async makeDefault(orgId: string, policyId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const policy = await requirePolicy(tx, orgId, policyId);
      if (policy.isDefault) return this.view(tx, policy);
      const directory = await requireDirectory(tx, orgId, policy.directoryId);
      const violations = checkPolicy({ ...policy, isDefault: true }, directory);
      if (violations.length) refuse(violations);
      const current = await defaultPolicyOf(tx, policy.directoryId);
      const now = nowIso(this.ctx);
      await tx.updatePolicy(current.id, { isDefault: false, updatedAt: now });
      await tx.updatePolicy(policyId, { isDefault: true, updatedAt: now });
      return this.view(tx, { ...policy, isDefault: true, updatedAt: now });
    });
  }

  async members(orgId: string, policyId: string, page: { limit: number; offset: number }) {
    return this.ctx.store.read(async (tx) => {
      await requirePolicy(tx, orgId, policyId);
      const { total, accounts } = await tx.listMembers(policyId, page);
      return { total, ...page, members: accounts.map((a) => ({ accountId: a.id, email: a.email, displayName: a.displayName, active: a.active })) };
    });
  }

  /** Moves accounts into the policy, all or none: any refusal leaves every membership as it was. */
  async addMembers(orgId: string, policyId: string, emails: string[]) {
    return this.ctx.store.transaction(async (tx) => {
      const policy = await requirePolicy(tx, orgId, policyId);
      const { accepted, refused } = await this.screen(tx, policy, emails);
      if (refused.length) {
        throw unprocessable(
          refused[0]!.code,
          refused[0]!.message,
          refused.map((r) => ({ path: 'body.emails', message: r.message, code: r.code, email: r.email })),
        );
      }
      await tx.setMembership(
        accepted.map((a) => a.id),
        policyId,
        nowIso(this.ctx),
      );
      return { policyId, added: accepted.length, members: accepted.map((a) => ({ accountId: a.id, email: a.email })) };
    });
  }

  /** Removing a member puts it back in its directory's default policy (or the local default). */
  async removeMember(orgId: string, policyId: string, accountId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const policy = await requirePolicy(tx, orgId, policyId);
      const account = await requireAccount(tx, accountId);
      if ((await tx.getMembership(accountId)) !== policyId) throw notFound('member-not-found', `${account.email} is not a member of this policy.`);
      const directoryDefault = await defaultPolicyOf(tx, policy.directoryId);
      const target = directoryDefault.id !== policyId ? directoryDefault : await defaultPolicyOf(tx, (await localDirectory(tx, orgId)).id);
      if (target.id === policyId) throw conflict('already-in-default-policy', 'Members of the local default policy can only move into another policy.');
      const refusal = memberRefusal(account, target, await tx.accountHasIdentity(accountId));
      if (refusal) throw unprocessable(refusal.code, refusal.message);
      await tx.setMembership([accountId], target.id, nowIso(this.ctx));
      return { accountId, movedTo: target.id };
    });
  }

  /** What moving members and/or changing settings would do. Nothing is written. */
  async preview(orgId: string, policyId: string, change: RolloutRequest) {
    return this.ctx.store.read(async (tx) => {
      const { preview, refused } = await this.previewIn(tx, orgId, await requirePolicy(tx, orgId, policyId), change);
      return { ...preview, refused };
    });
  }

  /**
   * The rollout itself: the same preview, and the change (settings, then
   * members) made in the same transaction only when nothing blocks it: nobody
   * locked out, nobody refused, no admin losing the last way in. Otherwise 409
   * `rollout-blocked` with every blocker, and nothing written.
   */
  async rollout(orgId: string, policyId: string, change: RolloutRequest) {
    return this.ctx.store.transaction(async (tx) => {
      const policy = await requirePolicy(tx, orgId, policyId);
      const { preview, accepted, refused } = await this.previewIn(tx, orgId, policy, change);
      const blockers = rolloutBlockers(preview, refused);
      if (blockers.length)
        throw conflict(
          'rollout-blocked',
          `Not applied: ${blockers[0]!.message}${blockers.length > 1 ? ` (and ${blockers.length - 1} more)` : ''}`,
          blockers.map((b) => ({ path: 'rollout', message: b.message, code: b.code })),
        );
      if (change.settings) await this.changeSettings(tx, orgId, policy, change.settings);
      if (accepted.length)
        await tx.setMembership(
          accepted.map((a) => a.id),
          policyId,
          nowIso(this.ctx),
        );
      return { ...preview, refused, applied: true };
    });
  }

  /** The preview of a change, in a transaction the caller holds: settings checked first, members screened. */
  private async previewIn(tx: StoreTx, orgId: string, policy: Policy, change: RolloutRequest) {
    if (change.settings) {
      const violations = checkPolicy({ ...policy, ...change.settings }, await requireDirectory(tx, orgId, policy.directoryId));
      if (violations.length) refuse(violations);
    }
    const { accepted, refused } = await this.screen(tx, policy, change.addMembers ?? []);
    const snapshot = (await tx.loadOrgSnapshot(orgId))!;
    const preview = previewRollout(
      snapshot,
      { policyId: policy.id, addMemberIds: accepted.map((a) => a.id), settings: change.settings },
      this.ctx.gatewayUrl,
      this.ctx.clock.now(),
    );
    return { preview, accepted, refused };
  }

  /** Sorts emails into movable accounts and refusals with reason codes. */
  private async screen(tx: StoreTx, policy: Policy, emails: string[]) {
    const accounts = await tx.getAccountsByEmail(emails);
    const byEmail = new Map(accounts.map((a) => [a.email.toLowerCase(), a]));
    const accepted = [];
    const refused: { email: string; code: CoreReason; message: string }[] = [];
    for (const email of new Set(emails.map((e) => e.toLowerCase()))) {
      const account = byEmail.get(email);
      if (!account) {
        refused.push({ email, code: 'account-not-found', message: `No account has the email ${email}.` });
        continue;
      }
      const refusal = memberRefusal(account, policy, account.origin === 'scim' || (await tx.accountHasIdentity(account.id)));
      if (refusal) refused.push({ email, code: refusal.code, message: refusal.message });
      else accepted.push(account);
    }
    return { accepted, refused };
  }

  private async syncedMembers(tx: StoreTx, policyId: string) {
    const synced: string[] = [];
    const { accounts } = await tx.listMembers(policyId, { limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    for (const a of accounts) if (a.origin === 'scim' || (await tx.accountHasIdentity(a.id))) synced.push(a.email);
    return synced;
  }

  private async insertOrRefuseName(tx: StoreTx, policy: Policy) {
    try {
      await tx.insertPolicy(policy);
    } catch (err) {
      if (isUniqueViolation(err))
        throw conflict('policy-name-taken', `A policy named "${policy.name}" exists.`, [{ path: 'body.name', message: 'already taken' }]);
      throw err;
    }
  }

  private async view(tx: StoreTx, policy: Policy) {
    const { total } = await tx.listMembers(policy.id, { limit: 0, offset: 0 });
    return { ...policy, memberCount: total };
  }
}

/** Reads a CSV of emails: one a line, first column, an optional `email` header. */
export function emailsFromCsv(csv: string, max: number): string[] {
  const lines = csv
    .split(/\r?\n/)
    .map((l) => l.split(',')[0]!.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
  if (lines[0]?.toLowerCase() === 'email') lines.shift();
  if (!lines.length) throw badRequest('empty-csv', 'The CSV holds no email.', [{ path: 'body', message: 'no email found', expected: 'one email a line' }]);
  if (lines.length > max)
    throw badRequest('too-many-members', `A CSV may hold at most ${max} emails; this one has ${lines.length}.`, [
      { path: 'body', message: `at most ${max} lines` },
    ]);
  return lines;
}
