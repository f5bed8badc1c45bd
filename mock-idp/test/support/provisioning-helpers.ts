import type { CoreTarget } from './core-target.ts';
import type { TestIdp } from './idp.ts';

/** What core's SCIM server holds, as the provisioning suites read it back. */
export const coreUser = async (core: CoreTarget, userName: string) =>
  (await core.scim.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.Resources[0];
export const coreGroup = async (core: CoreTarget, name: string) =>
  (await core.scim.request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`)).body.Resources[0];
export const memberNames = async (core: CoreTarget, name: string) => {
  const group = await coreGroup(core, name);
  const ids = ((group?.members ?? []) as { value: string }[]).map((m) => m.value);
  const names = await Promise.all(ids.map(async (id) => (await core.scim.request('GET', `/Users/${id}`)).body.userName));
  return names.sort();
};
export const patchIdpUser = (idp: TestIdp, user: string, changes: Record<string, unknown>) => idp.request('PATCH', `/api/users/${user}`, changes);
