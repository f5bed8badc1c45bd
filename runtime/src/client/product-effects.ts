import { textOf } from './text.ts';
import type { ServiceClient } from './service-client.ts';

/** SCIM attributes that land on a product account's profile in core (see core's user-resource.ts). */
export const PROFILE_ATTRIBUTES: Record<string, string> = {
  displayName: 'displayName',
  nickName: 'publicName',
  title: 'jobTitle',
  timezone: 'timezone',
  preferredLanguage: 'preferredLanguage',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'department',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization': 'organization',
};

const EMAIL_PATHS = ['emails[type eq "work"].value', 'emails[primary eq true].value', 'userName'];

export interface ProductOverwrite {
  user: string;
  field: string;
  /** What the person's product account says now. */
  product: string;
  /** Who wrote it: signup, admin, scim (an earlier cycle), saml-login; null when unknown. */
  writtenBy: string | null;
  /** What the IdP sends, which replaces it. */
  idp: string;
  /** `this-cycle`: the plan writes to this user; `next-write`: the IdP's next write to the user will (the plan sends nothing to it now). */
  when: 'this-cycle' | 'next-write';
}

/** A SCIM user the cycle unlinks from its account: its new email is on no verified domain of the organization. */
export interface PlannedUnlink {
  user: string;
  from: string;
  to: string;
}

export interface ProductEffects {
  overwrites: ProductOverwrite[];
  unlinks: PlannedUnlink[];
}

interface PlannedUser {
  user: string;
  operation: string;
  attributes: { path: string; current?: unknown; desired?: unknown }[];
}

/** A product account as `GET /api/accounts` shows it: profile fields, and who wrote each. */
type ProductAccount = Record<string, unknown> & { profileSources?: Record<string, { source: string } | undefined> };

interface Drift {
  users: { userName: string; email: string; fields: { field: string; product: unknown; idp: unknown; source: { source: string } | null }[] }[];
}

/**
 * What a SCIM cycle does to product accounts, which the IdP's own plan cannot
 * see (it compares with the SCIM records):
 * - accounts it claims (to the directory these users are new, `create`): core
 *   links each to the existing account with the same email and replaces the
 *   profile values the IdP sends;
 * - accounts already linked whose values drifted since the IdP last sent them
 *   (a SAML login, an edit made before the link): any write to the user puts the
 *   IdP's values back, this cycle if it writes to them, else the next time;
 * - email changes off the organization's verified domains, which unlink the
 *   account from its SCIM user.
 * Each overwritten value says who wrote it.
 */
export async function productEffects(
  plan: { users: PlannedUser[] },
  core: ServiceClient,
  orgId: string | undefined,
  directoryId: string | undefined,
): Promise<ProductEffects> {
  const overwrites: ProductOverwrite[] = [];
  const planned = new Map(plan.users.map((u) => [u.user.toLowerCase(), u]));
  for (const u of plan.users.filter((p) => p.operation === 'create')) {
    const [account] = await core.call<ProductAccount[]>('GET', `/api/accounts?email=${encodeURIComponent(u.user)}`);
    if (!account) continue;
    for (const a of u.attributes) {
      const field = PROFILE_ATTRIBUTES[a.path];
      const product = field ? account[field] : undefined;
      if (!field || a.desired === undefined || product === null || product === undefined || textOf(product) === textOf(a.desired)) continue;
      overwrites.push({
        user: u.user,
        field,
        product: textOf(product),
        writtenBy: account.profileSources?.[field]?.source ?? null,
        idp: textOf(a.desired),
        when: 'this-cycle',
      });
    }
  }
  if (orgId && directoryId) {
    const drift = await core.call<Drift>('GET', `/api/orgs/${orgId}/directories/${directoryId}/drift`);
    for (const d of drift.users) {
      const write = planned.get(d.userName.toLowerCase()) ?? planned.get(d.email.toLowerCase());
      const writes = write !== undefined && write.operation !== 'none';
      for (const f of d.fields) {
        // A write in this cycle sends the IdP's values now (they may have changed since it last sent them).
        const desired = writes ? write.attributes.find((a) => PROFILE_ATTRIBUTES[a.path] === f.field)?.desired : undefined;
        const idp = desired === undefined ? f.idp : desired;
        if (textOf(idp) === textOf(f.product)) continue;
        overwrites.push({
          user: d.email,
          field: f.field,
          product: textOf(f.product),
          writtenBy: f.source?.source ?? null,
          idp: textOf(idp),
          when: writes ? 'this-cycle' : 'next-write',
        });
      }
    }
  }
  const unlinks: PlannedUnlink[] = [];
  if (orgId) {
    const verified = new Set(
      (await core.call<{ name: string; status: string }[]>('GET', `/api/orgs/${orgId}/domains`)).filter((d) => d.status === 'verified').map((d) => d.name),
    );
    const onVerified = (email: string) => verified.has(email.slice(email.lastIndexOf('@') + 1).toLowerCase());
    for (const u of plan.users.filter((p) => p.operation === 'update')) {
      const email = u.attributes.find((a) => EMAIL_PATHS.includes(a.path) && a.desired !== undefined && a.current !== undefined && a.desired !== a.current);
      if (email && onVerified(String(email.current)) && !onVerified(String(email.desired)))
        unlinks.push({ user: u.user, from: String(email.current), to: String(email.desired) });
    }
  }
  // By person (the plan's order depends on which reads answered first), each person's fields in profile order.
  const order = [...Object.values(PROFILE_ATTRIBUTES), 'email'];
  overwrites.sort((a, b) => a.user.localeCompare(b.user) || order.indexOf(a.field) - order.indexOf(b.field));
  return { overwrites, unlinks };
}
