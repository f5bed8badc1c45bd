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
  createdAt: string;
}

/** Several IdP connections, each with its own mapping, are an Enterprise-plan feature. */
export function maxIdpDirectories(plan: Plan): number {
  return plan === 'enterprise' ? 50 : 1;
}
