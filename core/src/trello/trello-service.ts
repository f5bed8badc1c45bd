import { conflict, forbidden, notFound, unprocessable } from '../reasons.ts';
import { nowIso, type CoreContext } from '../context.ts';
import { accountForEmail } from '../orgs/org-service.ts';
import type { StoreTx } from '../store/store.ts';
import { requireAccount, requireAccountsByEmail, requireOrg } from '../store/lookups.ts';
import {
  boardAccess,
  isManagedTrelloMember,
  trelloSeat,
  type BoardVisibility,
  type TrelloEnterprise,
  type TrelloWorkspace,
  type WorkspacePlan,
} from './trello.ts';

export class TrelloService {
  constructor(private readonly ctx: CoreContext) {}

  async createEnterprise(name: string, adminEmails: string[]) {
    return this.ctx.store.transaction(async (tx) => {
      const enterprise: TrelloEnterprise = { id: this.ctx.newId(), name, orgId: null, linkedAt: null, createdAt: nowIso(this.ctx) };
      await tx.insertEnterprise(enterprise);
      for (const email of adminEmails) {
        const account = await accountForEmail(tx, this.ctx, email, 'signup');
        await this.ensureTrelloAccount(tx, account.id);
        await tx.addEnterpriseAdmin(enterprise.id, account.id);
      }
      return this.enterpriseView(tx, enterprise);
    });
  }

  async getEnterprise(enterpriseId: string) {
    return this.ctx.store.read(async (tx) => this.enterpriseView(tx, await this.requireEnterprise(tx, enterpriseId)));
  }

  /** Only someone who administers both may link; the enterprise then takes the organization's name. */
  async link(enterpriseId: string, orgId: string, actorEmail: string) {
    return this.ctx.store.transaction(async (tx) => {
      const enterprise = await this.requireEnterprise(tx, enterpriseId);
      const org = await requireOrg(tx, orgId);
      const actor = await tx.getAccountByEmail(actorEmail);
      const adminOfOrg = actor !== undefined && (await tx.listOrgAdminIds(orgId)).includes(actor.id);
      const adminOfEnterprise = actor !== undefined && (await tx.listEnterpriseAdminIds(enterpriseId)).includes(actor.id);
      if (!adminOfOrg || !adminOfEnterprise) {
        throw forbidden('not-admin-of-both', `${actorEmail} must be an admin of both the organization and the Trello Enterprise to link them.`, [
          { path: 'body.actorEmail', message: `organization admin: ${adminOfOrg}; enterprise admin: ${adminOfEnterprise}` },
        ]);
      }
      if (enterprise.orgId === orgId) return this.enterpriseView(tx, enterprise);
      if (enterprise.orgId) throw conflict('enterprise-already-linked', 'This Trello Enterprise is linked to another organization.');
      if (await tx.getEnterpriseByOrg(orgId)) throw conflict('org-already-linked', 'This organization already has a linked Trello Enterprise.');
      await tx.updateEnterprise(enterpriseId, { orgId, linkedAt: nowIso(this.ctx), name: org.name });
      return this.enterpriseView(tx, (await tx.getEnterprise(enterpriseId))!);
    });
  }

  /** A Trello account for an Atlassian account (created by signup when there is none). */
  async createAccount(email: string) {
    const [created] = (await this.createAccounts([email])).accounts;
    return created!;
  }

  /** Several at once, atomically: one email that already has a Trello account and none is created. */
  async createAccounts(emails: string[]) {
    return this.ctx.store.transaction(async (tx) => {
      const accounts = [];
      for (const email of emails) {
        const account = await accountForEmail(tx, this.ctx, email, 'signup');
        if (await tx.getTrelloAccount(account.id)) {
          throw conflict('trello-account-exists', `${email} already has a Trello account.`, [
            { path: 'body.emails', message: 'already has a Trello account', email },
          ]);
        }
        await this.ensureTrelloAccount(tx, account.id);
        accounts.push({ accountId: account.id, email: account.email, trello: (await tx.getTrelloAccount(account.id))! });
      }
      return { created: accounts.length, accounts };
    });
  }

  /** Deactivating Trello leaves the Atlassian account as it is. */
  async setTrelloActive(accountId: string, active: boolean) {
    return this.ctx.store.transaction(async (tx) => {
      const account = await requireAccount(tx, accountId);
      if (!(await tx.getTrelloAccount(accountId))) throw notFound('trello-account-not-found', `${account.email} has no Trello account.`);
      await tx.updateTrelloAccount(accountId, { active });
      return { accountId, email: account.email, accountActive: account.active, trello: await tx.getTrelloAccount(accountId) };
    });
  }

  async createWorkspace(input: { name: string; plan: WorkspacePlan; enterpriseId?: string }) {
    return this.ctx.store.transaction(async (tx) => {
      if (input.enterpriseId) await this.requireEnterprise(tx, input.enterpriseId);
      if ((input.plan === 'enterprise') !== (input.enterpriseId !== undefined)) {
        throw unprocessable('workspace-plan-mismatch', 'A workspace is on the enterprise plan exactly when it belongs to an enterprise.', [
          { path: 'body.plan', message: 'enterprise plan needs enterpriseId, and only it' },
        ]);
      }
      const workspace: TrelloWorkspace = {
        id: this.ctx.newId(),
        name: input.name,
        plan: input.plan,
        enterpriseId: input.enterpriseId ?? null,
        createdAt: nowIso(this.ctx),
      };
      await tx.insertWorkspace(workspace);
      return workspace;
    });
  }

  async addWorkspaceMembers(workspaceId: string, emails: string[]) {
    return this.ctx.store.transaction(async (tx) => {
      const workspace = await this.requireWorkspace(tx, workspaceId);
      const accounts = await requireAccountsByEmail(tx, emails);
      for (const a of accounts) await this.requireTrelloAccount(tx, a.id, a.email);
      await tx.addWorkspaceMembers(
        workspace.id,
        accounts.map((a) => a.id),
      );
      return { workspaceId, added: accounts.length };
    });
  }

  async removeWorkspaceMember(workspaceId: string, accountId: string) {
    await this.ctx.store.transaction(async (tx) => {
      await this.requireWorkspace(tx, workspaceId);
      if (!(await tx.listWorkspaceIdsOf(accountId)).includes(workspaceId))
        throw notFound('workspace-member-not-found', `Account ${accountId} is not in workspace ${workspaceId}.`);
      await tx.removeWorkspaceMember(workspaceId, accountId);
    });
  }

  async createBoard(workspaceId: string, input: { name: string; visibility: BoardVisibility }) {
    return this.ctx.store.transaction(async (tx) => {
      await this.requireWorkspace(tx, workspaceId);
      const board = { id: this.ctx.newId(), workspaceId, name: input.name, visibility: input.visibility, createdAt: nowIso(this.ctx) };
      await tx.insertBoard(board);
      return board;
    });
  }

  /** Licenses can go to anyone with a Trello account, managed or not. */
  async license(enterpriseId: string, emails: string[]) {
    return this.ctx.store.transaction(async (tx) => {
      await this.requireEnterprise(tx, enterpriseId);
      const accounts = await requireAccountsByEmail(tx, emails);
      for (const a of accounts) await this.requireTrelloAccount(tx, a.id, a.email);
      await tx.addLicenses(
        enterpriseId,
        accounts.map((a) => a.id),
      );
      return { enterpriseId, licensed: accounts.length };
    });
  }

  async unlicense(enterpriseId: string, accountId: string) {
    await this.ctx.store.transaction(async (tx) => {
      await this.requireEnterprise(tx, enterpriseId);
      await requireAccount(tx, accountId);
      await tx.removeLicense(enterpriseId, accountId);
    });
  }

  /**
   * Every member with whether it is managed (on a claimed domain) and whether it uses
   * a seat. Users from other domains stay, unmanaged, with their workspaces.
   */
  async members(enterpriseId: string) {
    return this.ctx.store.read(async (tx) => {
      const enterprise = await this.requireEnterprise(tx, enterpriseId);
      const { verifiedDomains, enterpriseWorkspaceIds } = await this.enterpriseFacts(tx, enterprise);
      const licensed = new Set(await tx.listLicensedIds(enterpriseId));
      const members = [];
      for (const accountId of await tx.listEnterpriseMemberIds(enterpriseId)) {
        const account = (await tx.getAccount(accountId))!;
        const trello = (await tx.getTrelloAccount(accountId))!;
        const workspaces = await tx.listWorkspaceIdsOf(accountId);
        const inEnterprise = workspaces.filter((w) => enterpriseWorkspaceIds.has(w));
        const managed = isManagedTrelloMember(account.email, enterprise, verifiedDomains);
        const seat = trelloSeat(licensed.has(accountId), inEnterprise);
        members.push({
          accountId,
          email: account.email,
          active: trello.active,
          origin: trello.origin,
          managed: managed.managed,
          managedReason: managed.reason,
          usesSeat: seat.usesSeat,
          seatReason: seat.reason,
          workspaceIds: workspaces,
        });
      }
      return { enterpriseId, seatsUsed: members.filter((m) => m.usesSeat).length, members };
    });
  }

  /** Boards a Trello account can open in the enterprise, with why. */
  async visibleBoards(enterpriseId: string, accountId: string) {
    return this.ctx.store.read(async (tx) => {
      const enterprise = await this.requireEnterprise(tx, enterpriseId);
      const account = await requireAccount(tx, accountId);
      const trello = await this.requireTrelloAccount(tx, accountId, account.email);
      if (!trello.active) return { accountId, boards: [], reason: 'trello-account-deactivated' };
      const { verifiedDomains, enterpriseWorkspaceIds } = await this.enterpriseFacts(tx, enterprise);
      const managed = isManagedTrelloMember(account.email, enterprise, verifiedDomains).managed;
      const mine = new Set(await tx.listWorkspaceIdsOf(accountId));
      const boards = await tx.listBoards([...enterpriseWorkspaceIds]);
      return {
        accountId,
        managed,
        boards: boards.flatMap((b) => {
          const access = boardAccess(b, mine.has(b.workspaceId), managed);
          return access ? [{ ...b, access }] : [];
        }),
      };
    });
  }

  private async enterpriseFacts(tx: StoreTx, enterprise: TrelloEnterprise) {
    const verifiedDomains = new Set(enterprise.orgId ? (await tx.listDomains(enterprise.orgId)).filter((d) => d.status === 'verified').map((d) => d.name) : []);
    const enterpriseWorkspaceIds = new Set((await tx.listWorkspaces(enterprise.id)).map((w) => w.id));
    return { verifiedDomains, enterpriseWorkspaceIds };
  }

  private async ensureTrelloAccount(tx: StoreTx, accountId: string) {
    if (!(await tx.getTrelloAccount(accountId))) await tx.insertTrelloAccount({ accountId, active: true, origin: 'signup', createdAt: nowIso(this.ctx) });
  }

  private async requireTrelloAccount(tx: StoreTx, accountId: string, email: string) {
    const trello = await tx.getTrelloAccount(accountId);
    if (!trello)
      throw unprocessable('trello-account-not-found', `${email} has no Trello account; POST /api/trello/accounts first.`, [
        { path: 'body.emails', message: 'no Trello account', email },
      ]);
    return trello;
  }

  private async requireEnterprise(tx: StoreTx, id: string) {
    const enterprise = await tx.getEnterprise(id);
    if (!enterprise) throw notFound('enterprise-not-found', `No Trello Enterprise ${id}.`);
    return enterprise;
  }

  private async requireWorkspace(tx: StoreTx, id: string) {
    const workspace = await tx.getWorkspace(id);
    if (!workspace) throw notFound('workspace-not-found', `No Trello workspace ${id}.`);
    return workspace;
  }

  private async enterpriseView(tx: StoreTx, enterprise: TrelloEnterprise) {
    const admins = [];
    for (const id of await tx.listEnterpriseAdminIds(enterprise.id)) admins.push({ accountId: id, email: (await tx.getAccount(id))?.email });
    return { ...enterprise, admins, workspaces: await tx.listWorkspaces(enterprise.id) };
  }
}
