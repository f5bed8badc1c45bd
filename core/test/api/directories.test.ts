import { expect } from 'chai';
import { startCore, testCertificate, type TestCore } from '../support/core.ts';

describe('api: directories and SAML connections', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  // SAML and SCIM need Atlassian Guard: subscribed to, or included in the Enterprise plan.
  const org = async (plan: string) =>
    (await core.post('/api/orgs', { name: `Org ${plan}`, plan, subscription: 'guard', admins: [`root@${plan}.example`] })).body.id as string;

  it('creates an IdP directory with its own default policy, enforcing SSO', async () => {
    const orgId = await org('standard');
    const created = await core.post(`/api/orgs/${orgId}/directories`, { name: 'Entra ID' });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ kind: 'idp', name: 'Entra ID', saml: null });
    const policy = (await core.get(`/api/orgs/${orgId}/policies/${created.body.defaultPolicyId}`)).body;
    expect(policy).to.include({ isDefault: true, sso: 'enforced', twoStep: 'idp', billable: true, directoryId: created.body.id });
  });

  it('allows one IdP connection unless the plan is enterprise', async () => {
    const standard = await org('standard');
    await core.post(`/api/orgs/${standard}/directories`, { name: 'Entra' });
    const second = await core.post(`/api/orgs/${standard}/directories`, { name: 'Okta' });
    expect(second.status).to.equal(409);
    expect(second.body.error.code).to.equal('idp-directory-limit');
    expect((await core.get(`/api/orgs/${standard}/directories`)).body).to.have.length(2);
    const enterprise = await org('enterprise');
    await core.post(`/api/orgs/${enterprise}/directories`, { name: 'Entra' });
    expect((await core.post(`/api/orgs/${enterprise}/directories`, { name: 'Okta' })).status).to.equal(201);
    const sameName = await core.post(`/api/orgs/${enterprise}/directories`, { name: 'Okta' });
    expect(sameName.status).to.equal(409);
    expect(sameName.body.error.code).to.equal('directory-name-taken');
  });

  it('configures SAML and shows back the SP entity ID and ACS URL on the gateway URL', async () => {
    const orgId = await org('enterprise');
    const directory = (await core.post(`/api/orgs/${orgId}/directories`, { name: 'Entra' })).body;
    const certificate = await testCertificate();
    const saml = await core.put(`/api/orgs/${orgId}/directories/${directory.id}/saml`, {
      idpEntityId: 'https://idp.example/entity',
      ssoUrl: 'http://localhost:7000/saml/sso',
      certificate,
    });
    expect(saml.status).to.equal(200);
    expect(saml.body).to.include({
      idpEntityId: 'https://idp.example/entity',
      spEntityId: `http://localhost:8000/saml/${saml.body.id}`,
      acsUrl: `http://localhost:8000/login/callback?connection=saml-${saml.body.id}`,
      // IdP-initiated login is opt-in: an unsolicited response is what a login CSRF or a stripped InResponseTo looks like.
      allowIdpInitiated: false,
      signAuthnRequests: false,
      // As the product: the assertion itself must be signed unless the admin says a signed Response is enough.
      wantAssertionsSigned: true,
    });
    expect(saml.body.certificateInfo.subject).to.include('mock-idp.test');
    // updating keeps the connection id, so the SP entity ID the IdP knows stays valid
    const updated = await core.put(`/api/orgs/${orgId}/directories/${directory.id}/saml`, {
      idpEntityId: 'https://idp.example/v2',
      ssoUrl: 'http://localhost:7000/saml/sso',
      certificate,
      allowIdpInitiated: true,
      wantAssertionsSigned: false,
    });
    expect(updated.body.id).to.equal(saml.body.id);
    expect(updated.body).to.include({ allowIdpInitiated: true, wantAssertionsSigned: false });
    expect((await core.get(`/api/orgs/${orgId}/directories/${directory.id}/saml`)).body.idpEntityId).to.equal('https://idp.example/v2');
    expect((await core.delete(`/api/orgs/${orgId}/directories/${directory.id}/saml`)).status).to.equal(204);
    expect((await core.get(`/api/orgs/${orgId}/directories/${directory.id}/saml`)).body.error.code).to.equal('saml-connection-not-found');
  });

  it('refuses an invalid certificate, a bad SSO URL and the local directory, storing nothing', async () => {
    const orgId = await org('enterprise');
    const directory = (await core.post(`/api/orgs/${orgId}/directories`, { name: 'Entra' })).body;
    const base = { idpEntityId: 'https://idp.example', ssoUrl: 'https://idp.example/sso', certificate: await testCertificate() };
    const badCert = await core.put(`/api/orgs/${orgId}/directories/${directory.id}/saml`, {
      ...base,
      certificate: '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----',
    });
    expect(badCert.status).to.equal(400);
    expect(badCert.body.error).to.deep.include({ code: 'invalid-certificate' });
    expect(badCert.body.error.details[0].path).to.equal('body.certificate');
    const badUrl = await core.put(`/api/orgs/${orgId}/directories/${directory.id}/saml`, { ...base, ssoUrl: 'javascript:alert(1)' });
    expect(badUrl.status).to.equal(400);
    expect(badUrl.body.error.details[0].path).to.equal('body.ssoUrl');
    const local = (await core.get(`/api/orgs/${orgId}/directories`)).body.find((d: { kind: string }) => d.kind === 'local');
    const onLocal = await core.put(`/api/orgs/${orgId}/directories/${local.id}/saml`, base);
    expect(onLocal.status).to.equal(422);
    expect(onLocal.body.error.code).to.equal('saml-requires-idp-directory');
    expect((await core.get(`/api/orgs/${orgId}/directories/${directory.id}/saml`)).status).to.equal(404);
  });
});
