import type { Account } from '../accounts/account.ts';
import type { FieldSource, SourcedField } from '../accounts/profile-sources.ts';
import type { CoreContext } from '../context.ts';
import { requireDirectory } from '../store/lookups.ts';
import type { ScimUserRecord } from './scim-records.ts';
import { carriedFields, lastSentProfile, profileDiff } from './user-resource.ts';

/** A profile field where the product holds something else than what the IdP last sent. */
export interface FieldDrift {
  field: SourcedField;
  /** What the account holds now. */
  product: unknown;
  /** What the IdP's SCIM user says (what its next write to this user puts back). */
  idp: unknown;
  /** Who wrote the product's value, when known: an admin, a SAML login, an earlier cycle, the sign-up. */
  source: FieldSource | null;
}

export interface UserDrift {
  scimId: string;
  userName: string;
  accountId: string;
  email: string;
  fields: FieldDrift[];
}

/** The drift of one linked SCIM user: empty when the account holds what the IdP sent. */
export function driftOf(record: ScimUserRecord, account: Account): FieldDrift[] {
  const profile = lastSentProfile(record.resource);
  if (!profile) return [];
  return profileDiff(account, profile, carriedFields(profile)).map(({ attribute, before, after }) => ({
    field: attribute,
    product: before,
    idp: after,
    source: account.profileSources[attribute] ?? null,
  }));
}

/**
 * Where the product's accounts drifted from what an IdP directory last sent:
 * a SAML login that rewrote a display name, an edit made before the link...
 * The IdP's own provisioning plan cannot see this (it compares with the SCIM
 * record), yet its next write to such a user overwrites the product's value.
 */
export class DriftService {
  constructor(private readonly ctx: CoreContext) {}

  async of(orgId: string, directoryId: string): Promise<{ directoryId: string; users: UserDrift[] }> {
    return this.ctx.store.read(async (tx) => {
      const dir = await requireDirectory(tx, orgId, directoryId);
      const users: UserDrift[] = [];
      for (const { record, account } of await tx.listLinkedScimUsers(dir.id)) {
        // Accounts the organization does not manage are never written by a sync: nothing to overwrite.
        if (account.managedBy !== orgId) continue;
        const fields = driftOf(record, account);
        if (fields.length) users.push({ scimId: record.id, userName: record.userName, accountId: account.id, email: account.email, fields });
      }
      return { directoryId: dir.id, users };
    });
  }
}
