import { emailDomain } from '../accounts/account.ts';

/** Trello Enterprise: enterprises, workspaces, boards, licenses, and who is a managed member. */
export const WORKSPACE_PLANS = ['free', 'standard', 'premium', 'enterprise'] as const;
export type WorkspacePlan = (typeof WORKSPACE_PLANS)[number];
export const BOARD_VISIBILITIES = ['private', 'workspace', 'organization', 'public'] as const;
export type BoardVisibility = (typeof BOARD_VISIBILITIES)[number];

export interface TrelloEnterprise {
  id: string;
  name: string;
  orgId: string | null;
  linkedAt: string | null;
  createdAt: string;
}

export interface TrelloAccount {
  accountId: string;
  active: boolean;
  /** SCIM-provisioned Trello accounts are billed only from their first login. */
  origin: 'signup' | 'scim';
  createdAt: string;
}

export interface TrelloWorkspace {
  id: string;
  name: string;
  plan: WorkspacePlan;
  enterpriseId: string | null;
  createdAt: string;
}

export interface TrelloBoard {
  id: string;
  workspaceId: string;
  name: string;
  visibility: BoardVisibility;
  createdAt: string;
}

/** A member of the enterprise is managed when its email is on a domain the linked organization verified. */
export function isManagedTrelloMember(email: string, enterprise: TrelloEnterprise, verifiedDomains: ReadonlySet<string>) {
  if (!enterprise.orgId) return { managed: false, reason: 'enterprise-not-linked' } as const;
  return verifiedDomains.has(emailDomain(email))
    ? ({ managed: true, reason: 'email-on-claimed-domain' } as const)
    : ({ managed: false, reason: 'email-on-unclaimed-domain' } as const);
}

/** A seat is used only by an Enterprise license or a membership of an Enterprise workspace. */
export function trelloSeat(licensed: boolean, enterpriseWorkspaceIds: readonly string[]) {
  if (licensed) return { usesSeat: true, reason: 'enterprise-license' } as const;
  if (enterpriseWorkspaceIds.length) return { usesSeat: true, reason: 'enterprise-workspace-member' } as const;
  return { usesSeat: false, reason: 'no-license-or-enterprise-workspace' } as const;
}

export type BoardAccess = 'workspace-member' | 'organization-visible' | 'public';

/**
 * Boards a Trello account can open in an enterprise: those of its workspaces (bar
 * private ones, which are the board members' business and not modelled here), those
 * visible to the whole Organization when it is a managed member, and public ones.
 */
export function boardAccess(board: TrelloBoard, memberOfWorkspace: boolean, managedMember: boolean): BoardAccess | undefined {
  if (memberOfWorkspace && board.visibility !== 'private') return 'workspace-member';
  if (board.visibility === 'organization' && managedMember) return 'organization-visible';
  if (board.visibility === 'public') return 'public';
  return undefined;
}
