import { nowIso, type CoreContext } from '../context.ts';
import type { Directory } from '../directories/directory.ts';
import type { StoreTx } from '../store/store.ts';
import { AccountSync } from './account-sync.ts';
import { applyPatch, normalizePatch } from './patch.ts';
import { parseAttributeList, project } from './projection.ts';
import { ScimError, scimConflict, scimNotFound } from './scim-error.ts';
import type { AuditChange, ScimUserRecord } from './scim-records.ts';
import { checkIfMatch, etagOf, ScimResources, type ListParams, type ScimResponse } from './scim-resources.ts';
import { ATLASSIAN_SCHEMA } from './scim-schema.ts';
import { accountProfileFrom, lastSentProfile, parseUserResource, storedUser, type ScimUserInput } from './user-resource.ts';

/** SCIM Users: the resources, and their effect on accounts as the vendor applies it (through `AccountSync`). */
export class ScimUsers extends ScimResources {
  private readonly sync: AccountSync;

  constructor(ctx: CoreContext) {
    super(ctx);
    this.sync = new AccountSync(ctx);
  }

  async create(dir: Directory, body: unknown, base: string): Promise<ScimResponse> {
    const input = parseUserResource(body, dir.scimFidelity);
    const profile = accountProfileFrom(input);
    return this.ctx.store.transaction(async (tx) => {
      if (await tx.findScimUserByUserName(dir.id, input.userName))
        throw scimConflict(`A user with userName ${input.userName} already exists in this directory.`);
      await this.checkDirectorySize(tx, dir);
      const now = nowIso(this.ctx);
      const record: ScimUserRecord = {
        id: this.ctx.newId(),
        directoryId: dir.id,
        accountId: null,
        userName: input.userName,
        externalId: input.externalId,
        resource: storedUser(input),
        version: 1,
        created: now,
        lastModified: now,
      };
      const owner = await this.ownerOfEmail(tx, dir, profile.email);
      if (owner) {
        // rfc fidelity: a second SCIM user with the email of a provisioned account; the account stays with the first.
        record.unlinkedAt = now;
        await tx.insertScimUser(record);
        await this.audit(tx, dir, 'create-unlinked-user', 'User', record.id, null, [emailOwnedBy(owner, profile.email)]);
        return { status: 201, body: this.renderUser(record, [], base), etag: etagOf(record.version), location: `${base}/Users/${record.id}` };
      }
      const { account, changes, operation } = await this.sync.link(tx, dir, await tx.getAccountByEmail(profile.email), profile);
      record.accountId = account.id;
      await tx.insertScimUser(record);
      await tx.addIdentity(dir.id, account.id, now);
      await this.audit(tx, dir, operation, 'User', record.id, account.id, changes);
      // A new user is in no group yet: no need to ask.
      return { status: 201, body: this.renderUser(record, [], base), etag: etagOf(record.version), location: `${base}/Users/${record.id}` };
    });
  }

  async get(dir: Directory, id: string, base: string, params: ListParams = {}): Promise<ScimResponse> {
    return this.ctx.store.read(async (tx) => {
      const record = await this.requireUser(tx, dir, id);
      const response = await this.userResponse(tx, record, base);
      return { ...response, body: project(response.body, parseAttributeList(params.attributes), parseAttributeList(params.excludedAttributes)) };
    });
  }

  async list(dir: Directory, params: ListParams, base: string): Promise<ScimResponse> {
    const query = this.listQuery(dir, 'User', params);
    return this.ctx.store.read(async (tx) => {
      const { total, users } = await tx.listScimUsers(dir.id, query);
      const groups = await tx.listGroupsOfMembers(users.map((u) => u.id));
      const resources = users.map((u) =>
        this.renderUser(
          u,
          groups.filter((g) => g.memberId === u.id),
          base,
        ),
      );
      return { body: this.listBody(total, query, resources, params) };
    });
  }

  async replace(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const input = parseUserResource(body, dir.scimFidelity);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireUser(tx, dir, id, ifMatch);
      return this.updateUser(tx, dir, record, input, 'replace-user', base);
    });
  }

  async patch(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const operations = normalizePatch('User', body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireUser(tx, dir, id, ifMatch);
      // The patched resource must still be a valid user: validated exactly like a PUT body.
      const input = parseUserResource(applyPatch(record.resource, operations), dir.scimFidelity);
      return this.updateUser(tx, dir, record, input, 'patch-user', base);
    });
  }

  /**
   * Unlinks, deactivates and forgets: later calls on the id are 404, a new POST
   * gets a new id. An account the organization does not manage is unlinked but
   * left as it is.
   */
  async delete(dir: Directory, id: string, ifMatch: string | undefined): Promise<void> {
    await this.ctx.store.transaction(async (tx) => {
      const record = await this.requireUser(tx, dir, id, ifMatch);
      await tx.removeMemberEverywhere(record.id);
      await tx.deleteScimUser(record.id);
      const changes: AuditChange[] = [];
      if (record.accountId) {
        const account = await tx.getAccount(record.accountId);
        await tx.removeIdentity(dir.id, record.accountId);
        if (account) changes.push(...(await this.sync.deprovision(tx, dir, account)));
      }
      changes.push({ attribute: 'scimLink', before: record.id, after: null });
      await this.audit(tx, dir, 'delete-user', 'User', record.id, record.accountId, changes);
    });
  }

  private async updateUser(tx: StoreTx, dir: Directory, record: ScimUserRecord, input: ScimUserInput, operation: string, base: string): Promise<ScimResponse> {
    if (input.userName.toLowerCase() !== record.userName.toLowerCase()) {
      const clash = await tx.findScimUserByUserName(dir.id, input.userName);
      if (clash && clash.id !== record.id) throw scimConflict(`A user with userName ${input.userName} already exists in this directory.`);
    }
    const before = lastSentProfile(record.resource);
    const after = accountProfileFrom(input);
    const now = nowIso(this.ctx);
    const updated: ScimUserRecord = {
      ...record,
      userName: input.userName,
      externalId: input.externalId,
      resource: storedUser(input),
      version: record.version + 1,
      lastModified: now,
    };
    const account = record.accountId ? await tx.getAccount(record.accountId) : undefined;
    const owner = account ? undefined : await this.ownerOfEmail(tx, dir, after.email, record.id);
    let changes: AuditChange[];
    if (owner) {
      // Still another SCIM user's email (rfc fidelity): this one stays unlinked, the account stays with its owner.
      updated.unlinkedAt ??= now;
      changes = [emailOwnedBy(owner, after.email)];
    } else if (!account && (!record.unlinkedAt || (await this.sync.emailStaysLinked(tx, dir, after.email)))) {
      // The account was deleted by an admin, or the record was unlinked and its email is back on a
      // verified domain: linked again, under the same rule as a POST.
      const linked = await this.sync.link(tx, dir, await tx.getAccountByEmail(after.email), after);
      updated.accountId = linked.account.id;
      updated.unlinkedAt = null;
      await tx.addIdentity(dir.id, linked.account.id, now);
      changes = linked.changes;
      operation = linked.operation;
    } else if (!account) {
      // Unlinked (its email left the verified domains): the SCIM record changes, no account does.
      changes = [{ attribute: 'scimLink', before: null, after: null, skipped: 'unlinked: the email is on no verified domain of this organization' }];
    } else if (after.email !== account.email && account.managedBy === dir.orgId && !(await this.sync.emailStaysLinked(tx, dir, after.email))) {
      // (product behaviour) An email change off the verified domains is accepted and unlinks the account from the
      // SCIM user, whose synced group memberships go; the account itself is left as it is.
      updated.accountId = null;
      updated.unlinkedAt = now;
      await tx.removeIdentity(dir.id, account.id);
      await tx.removeMemberEverywhere(record.id);
      changes = [
        { attribute: 'scimLink', before: account.id, after: null },
        {
          attribute: 'email',
          before: account.email,
          after: after.email,
          skipped: 'email-off-verified-domains: the account was unlinked from the SCIM user and keeps its email',
        },
      ];
      operation = 'unlink-user';
    } else {
      changes = await this.sync.update(tx, dir, account, before, after);
    }
    await tx.updateScimUser(updated);
    await this.audit(tx, dir, operation, 'User', record.id, updated.accountId ?? record.accountId, changes);
    return this.userResponse(tx, updated, base);
  }

  /**
   * In `rfc` fidelity, userName is the only uniqueness rule (RFC 7643 §4.1.1):
   * the SCIM user that already has the account for this email, when another
   * one (not `self`) arrives with it. `atlassian` fidelity answers 409 instead
   * (in AccountSync.link), as the vendor does.
   */
  private async ownerOfEmail(tx: StoreTx, dir: Directory, email: string, self?: string): Promise<ScimUserRecord | undefined> {
    if (dir.scimFidelity !== 'rfc') return undefined;
    const account = await tx.getAccountByEmail(email);
    const owner = account && (await tx.findScimUserByAccount(dir.id, account.id));
    return owner && owner.id !== self ? owner : undefined;
  }

  private async requireUser(tx: StoreTx, dir: Directory, id: string, ifMatch?: string) {
    const record = await tx.getScimUser(dir.id, id);
    if (!record) throw scimNotFound(`No user ${id} in this directory.`);
    checkIfMatch(ifMatch, record.version);
    return record;
  }

  private async userResponse(tx: StoreTx, record: ScimUserRecord, base: string): Promise<ScimResponse> {
    const groups = await tx.listGroupsOfMembers([record.id]);
    return { body: this.renderUser(record, groups, base), etag: etagOf(record.version), location: `${base}/Users/${record.id}` };
  }

  private renderUser(record: ScimUserRecord, groups: { groupId: string; displayName: string }[], base: string): Record<string, unknown> {
    return {
      ...record.resource,
      id: record.id,
      [ATLASSIAN_SCHEMA]: { atlassianAccountId: record.accountId },
      ...(groups.length
        ? { groups: groups.map((g) => ({ value: g.groupId, display: g.displayName, $ref: `${base}/Groups/${g.groupId}`, type: 'direct' })) }
        : {}),
      meta: {
        resourceType: 'User',
        created: record.created,
        lastModified: record.lastModified,
        location: `${base}/Users/${record.id}`,
        version: etagOf(record.version),
      },
    };
  }

  private async checkDirectorySize(tx: StoreTx, dir: Directory) {
    if (dir.scimFidelity !== 'atlassian') return;
    const max = this.ctx.scimLimits.usersPerDirectory;
    if ((await tx.countScimUsers(dir.id)) >= max)
      throw new ScimError(
        400,
        undefined,
        `directory-user-limit: this directory already syncs ${max.toLocaleString('en')} users, the most the product takes; new users are not synced.`,
      );
  }
}

/** The audit line of a SCIM user kept unlinked because another one has the account for its email. */
const emailOwnedBy = (owner: ScimUserRecord, email: string): AuditChange => ({
  attribute: 'scimLink',
  before: null,
  after: null,
  skipped: `email-owned-by-another-scim-user: the account for ${email} stays linked to SCIM user ${owner.userName} (${owner.id}), the first provisioned with it; this user links when the email is free`,
});
