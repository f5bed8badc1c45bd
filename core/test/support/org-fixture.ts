import { orgWithVerifiedDomain, testCertificate, type TestCore } from './core.ts';

/**
 * An organization as an admin rolls SSO out: acme.com verified, an IdP directory
 * with a SAML connection and the domain linked to it, a few accounts in the
 * local default policy, and an SSO-enforced pilot policy in the IdP directory.
 */
export async function rolloutFixture(core: TestCore, options: { connect?: boolean; link?: boolean } = {}) {
  const { org, domain } = await orgWithVerifiedDomain(core, { domain: 'acme.com', admins: ['root@acme.com'] });
  const idp = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra' })).body;
  if (options.connect ?? true) {
    await core.put(`/api/orgs/${org.id}/directories/${idp.id}/saml`, {
      idpEntityId: 'http://localhost:7000/saml/metadata',
      ssoUrl: 'http://localhost:7000/saml/sso',
      certificate: await testCertificate(),
    });
  }
  if (options.link ?? true) await core.put(`/api/orgs/${org.id}/domains/${domain.id}/directory`, { directoryId: idp.id });
  const policies = (await core.get(`/api/orgs/${org.id}/policies`)).body as { id: string; directoryId: string; isDefault: boolean }[];
  const localDefault = policies.find((p) => p.directoryId !== idp.id)!;
  const pilot = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'SSO pilot', directoryId: idp.id, sso: 'enforced' })).body;
  const accounts: Record<string, { id: string; email: string }> = {};
  for (const name of ['alice', 'bob', 'carol']) {
    accounts[name] = (await core.post('/api/accounts', { email: `${name}@acme.com`, password: `${name}-long-passphrase-1` })).body;
  }
  return { org, domain, idp, localDefault, pilot, accounts };
}
