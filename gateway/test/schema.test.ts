import { expect } from 'chai';
import { generateCredential, parseCertificate } from '@rehearsal/runtime/credentials';
import { startIdp } from '../../mock-idp/test/support/idp.ts';
import { browserLogin, localPath, startStack, type Stack } from './support/stack.ts';
import { postXml, redirectXml, schemaToolsMissing, validate } from './support/schemas.ts';

/**
 * Every document the gateway and the mock IdP publish or send, validated
 * against the OASIS SAML 2.0 schemas with xmllint: what strict peers check
 * before they read a word.
 */
describe('SAML documents against the OASIS schemas (xmllint)', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(function () {
    const missing = schemaToolsMissing();
    if (!missing) return;
    if (process.env.CI === 'true') throw new Error(`schema suite: ${missing}; CI must run it`);
    console.log(`    skipped: schema suite: ${missing}`);
    this.skip();
  });
  beforeEach(async () => (stack = await startStack({ singleLogout: true })));
  afterEach(() => stack.close());

  const local = localPath;
  const expectValid = (xml: string, schema: 'metadata' | 'protocol', what: string) => {
    const verdict = validate(xml, schema);
    expect(verdict.valid, `${what}: ${verdict.errors}\n${xml.slice(0, 400)}`).to.equal(true);
  };

  it('refuses a document out of the schema order (the check can fail)', () => {
    const outOfOrder =
      '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
      '<NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>' +
      '<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://localhost:7000/saml/slo"/>' +
      '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://localhost:7000/saml/sso"/>' +
      '</IDPSSODescriptor></EntityDescriptor>';
    const verdict = validate(outOfOrder, 'metadata');
    expect(verdict.valid).to.equal(false);
    expect(verdict.errors).to.contain('SingleLogoutService');
  });

  it('the metadata: the mock IdP (with a staged certificate too) and the gateway SP, signing its requests and not', async () => {
    expectValid((await stack.idp.request('GET', '/saml/metadata')).text, 'metadata', 'IdP metadata');
    const staged = await startIdp({ stagedCertificate: parseCertificate((await generateCredential('staged', new Date())).certificatePem) });
    try {
      expectValid((await staged.request('GET', '/saml/metadata')).text, 'metadata', 'IdP metadata with a staged certificate');
    } finally {
      await staged.close();
    }
    expectValid((await stack.request('GET', `/saml/${stack.connection.id}/metadata`)).text, 'metadata', 'SP metadata (with SLO)');
    await stack.core.put(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml`, {
      idpEntityId: 'http://localhost:7000/saml/metadata',
      ssoUrl: 'http://localhost:7000/saml/sso',
      certificate: stack.idp.credential.certificatePem,
      signAuthnRequests: true,
    });
    const signing = (await stack.request('GET', `/saml/${stack.connection.id}/metadata`)).text;
    expect(signing).to.contain('AuthnRequestsSigned="true"');
    expectValid(signing, 'metadata', 'SP metadata (signing its requests)');
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    expect(start.headers.get('location')).to.contain('&Signature=');
    expectValid(redirectXml(start.headers.get('location')!, 'SAMLRequest'), 'protocol', 'AuthnRequest (signed on the Redirect binding)');
  });

  it('the SP metadata of a directory whose connection is not configured yet, then imported from the IdP metadata', async () => {
    const directory = await stack.core.post(`/api/orgs/${stack.org.id}/directories`, { name: 'Second IdP' });
    expect(directory.status, JSON.stringify(directory.body)).to.equal(201);
    const early = await stack.request('GET', `/saml/${directory.body.id}/metadata`);
    expect(early.status, early.text).to.equal(200);
    expect(early.text).to.contain(`entityID="http://localhost:8000/saml/${directory.body.id}"`);
    expectValid(early.text, 'metadata', 'SP metadata before the IdP side is known');
    // The mock IdP's metadata, imported into core: the connection keeps the SP details published before.
    const imported = await stack.core.post(`/api/orgs/${stack.org.id}/directories/${directory.body.id}/saml/metadata`, {
      xml: (await stack.idp.request('GET', '/saml/metadata')).text,
    });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
    expect(imported.body.spEntityId).to.equal(`http://localhost:8000/saml/${directory.body.id}`);
    expect((await stack.request('GET', `/saml/${directory.body.id}/metadata`)).text).to.equal(early.text);
    expect((await stack.request('GET', '/saml/no-such-directory/metadata')).status).to.equal(404);
  });

  it("the gateway's AuthnRequest, and the mock IdP's Response in every signing and encryption mode", async () => {
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    expectValid(redirectXml(start.headers.get('location')!, 'SAMLRequest'), 'protocol', 'AuthnRequest');

    const encryption = await generateCredential('schema test SP', new Date());
    const modes: [string, Record<string, unknown>][] = [
      ['assertion signed', { signing: 'assertion' }],
      ['response signed', { signing: 'response' }],
      ['both signed, rsa-sha512', { signing: 'both', signatureAlgorithm: 'rsa-sha512' }],
      ['short attribute names, persistent NameID', { attributeNames: 'friendly', nameIdFormat: 'persistent' }],
      ['transient NameID', { nameIdFormat: 'transient' }],
      ['encrypted (aes256-gcm)', { encryptAssertions: true, encryptionCertificate: encryption.certificatePem }],
      [
        'encrypted (aes128-cbc), both signed',
        { encryptAssertions: true, encryptionCertificate: encryption.certificatePem, encryptionAlgorithm: 'aes128-cbc', signing: 'both' },
      ],
    ];
    for (const [what, settings] of modes) {
      const entityId = `https://schema.example.test/${encodeURIComponent(what)}`;
      const registered = await stack.idp.request('POST', '/api/service-providers', { entityId, acsUrls: ['https://schema.example.test/acs'], ...settings });
      expect(registered.status, registered.text).to.equal(201);
      const issued = await stack.idp.request('POST', '/api/login', { sp: entityId, user: 'alice@acme.com' });
      expectValid(postXml(issued.body.samlResponse), 'protocol', `Response, ${what}`);
    }
    // A refusal is a Response too: a status, no assertion.
    const refused = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user: 'alice@acme.com', faults: ['status-responder'] });
    expect(refused.status, refused.text).to.equal(200);
    expect(postXml(refused.body.samlResponse)).to.contain('status:Responder');
    expectValid(postXml(refused.body.samlResponse), 'protocol', 'Response with an error status');
  });

  it("the gateway's LogoutRequest and the mock IdP's LogoutResponse", async () => {
    const cookies = await browserLogin(stack);
    const out = await stack.request('POST', '/logout', {}, { cookie: cookies.gateway });
    expectValid(redirectXml(out.body.singleLogout, 'SAMLRequest'), 'protocol', 'LogoutRequest');
    const answered = await stack.idp.request('GET', local(out.body.singleLogout), undefined, { cookie: cookies.idp });
    expectValid(redirectXml(answered.headers.get('location')!, 'SAMLResponse'), 'protocol', 'LogoutResponse');
  });

  it("the mock IdP's LogoutRequest (IdP-initiated) and the gateway's LogoutResponse to it", async () => {
    await browserLogin(stack);
    const started = await stack.idp.request('POST', '/api/logout', { user: 'alice@acme.com' });
    expectValid(redirectXml(started.body.next, 'SAMLRequest'), 'protocol', "the IdP's LogoutRequest");
    const answered = await stack.request('GET', local(started.body.next), undefined, { accept: 'text/html' });
    expectValid(redirectXml(answered.headers.get('location')!, 'SAMLResponse'), 'protocol', "the gateway's LogoutResponse");
  });
});
