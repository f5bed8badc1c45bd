import type { Plan } from '../orgs/organization.ts';

/** The local directory holds accounts managed by hand; an IdP directory is fed by an identity provider. */
export type DirectoryKind = 'local' | 'idp';

export interface Directory {
  id: string;
  orgId: string;
  kind: DirectoryKind;
  name: string;
  /** How the directory's SCIM server answers: the RFCs, or like the vendor's own server. */
  scimFidelity: 'rfc' | 'atlassian';
  /** Its SCIM rate limit: its own, `off`, or null for the fidelity's default (none in rfc). */
  scimRateLimit: ScimRateLimit | 'off' | null;
  createdAt: string;
}

export interface ScimRateLimit {
  requests: number;
  perSeconds: number;
}

/** How a directory's SCIM server answers, as an admin sets it. */
export type ScimSettings = Pick<Directory, 'scimFidelity' | 'scimRateLimit'>;

/** Several IdP connections, each with its own mapping, are an Enterprise-plan feature. */
export function maxIdpDirectories(plan: Plan): number {
  return plan === 'enterprise' ? 50 : 1;
}
