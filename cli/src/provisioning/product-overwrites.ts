import type { ServiceClient } from '../stack/service-client.ts';

/** SCIM attributes that land on a product account's profile in core (see core's user-resource.ts). */
export const PROFILE_ATTRIBUTES: Record<string, string> = {
  displayName: 'displayName',
  title: 'jobTitle',
  timezone: 'timezone',
  preferredLanguage: 'preferredLanguage',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'department',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization': 'organization',
};

export interface ProductOverwrite {
  user: string;
  attribute: string;
  field: string;
  /** What the person's product account says now (they may have edited it themselves). */
  product: string;
  /** What provisioning will write; null when it sends nothing and the value is cleared. */
  idp: string | null;
  change: 'overwrite' | 'clear';
}

interface PlannedUser {
  user: string;
  operation: string;
  attributes: { path: string; desired?: unknown }[];
}

/**
 * What a SCIM cycle will overwrite on product accounts it is about to claim.
 * The IdP's own plan cannot see them: to the SCIM directory these users are
 * new (`create`), but core links each to the existing account with the same
 * email and replaces its profile with what the IdP sends: a value the
 * person set is overwritten, or cleared when the mapping sends none.
 */
export async function productOverwrites(plan: { users: PlannedUser[] }, core: ServiceClient): Promise<ProductOverwrite[]> {
  const found: ProductOverwrite[] = [];
  for (const u of plan.users.filter((p) => p.operation === 'create')) {
    const [account] = (await core.call('GET', `/api/accounts?email=${encodeURIComponent(u.user)}`)) as Record<string, unknown>[];
    if (!account) continue;
    const desired = new Map(u.attributes.map((a) => [a.path, a.desired]));
    for (const [path, field] of Object.entries(PROFILE_ATTRIBUTES)) {
      const product = account[field];
      if (product === null || product === undefined) continue;
      const idp = desired.get(path);
      if (idp === undefined) found.push({ user: u.user, attribute: path, field, product: String(product), idp: null, change: 'clear' });
      else if (String(idp) !== String(product)) found.push({ user: u.user, attribute: path, field, product: String(product), idp: String(idp), change: 'overwrite' });
    }
  }
  return found;
}
