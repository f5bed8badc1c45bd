import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignedXml } from 'xml-crypto';
import { generateCredential, type SigningCredential } from '@rehearsal/runtime/credentials';
import { startCore, type TestCore } from '../support/core.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** IdP metadata as Okta, Entra ID or Keycloak publish it (the parts a connection reads). */
function metadataXml(
  credential: SigningCredential,
  o: { entityId?: string; sso?: string[]; slo?: boolean; wantSigned?: boolean; validUntil?: string; use?: string; certs?: number } = {},
): string {
  const key = `<KeyDescriptor${o.use === undefined ? ' use="signing"' : o.use ? ` use="${o.use}"` : ''}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${credential.certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`;
  const sso = (o.sso ?? [REDIRECT, POST])
    .map((b) => `<SingleSignOnService Binding="${b}" Location="https://idp.example.com/sso/${b.endsWith('Redirect') ? 'redirect' : 'post'}"/>`)
    .join('');
  const slo = o.slo === false ? '' : `<SingleLogoutService Binding="${REDIRECT}" Location="https://idp.example.com/slo"/>`;
  return `<EntityDescriptor xmlns="${MD}" ID="_md1" entityID="${o.entityId ?? 'https://idp.example.com/entity'}"${o.validUntil ? ` validUntil="${o.validUntil}"` : ''}><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${o.wantSigned ? ' WantAuthnRequestsSigned="true"' : ''}>${key.repeat(o.certs ?? 1)}${slo}<NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>${sso}</IDPSSODescriptor></EntityDescriptor>`;
}

/** Signs metadata the way federation operators do: an enveloped signature over the root. */
function sign(xml: string, signer: SigningCredential): string {
  const signed = new SignedXml({ privateKey: signer.privateKeyPem, publicCert: signer.certificatePem });
  signed.addReference({
    xpath: "/*[local-name()='EntityDescriptor']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signed.signatureAlgorithm = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
  signed.canonicalizationAlgorithm = 'http://www.w3.org/2001/10/xml-exc-c14n#';
  signed.computeSignature(xml, { location: { reference: "/*[local-name()='EntityDescriptor']/*[1]", action: 'before' } });
  return signed.getSignedXml();
}

describe('api: a SAML connection from the IdP metadata, and the SP details before it', function () {
  this.timeout(30_000);
  let core: TestCore;
  let orgId: string;
  let directoryId: string;
  let idpKey: SigningCredential;
  let federationKey: SigningCredential;
  before(async () => {
    idpKey = await generateCredential('idp.example.com', new Date());
    federationKey = await generateCredential('federation operator', new Date());
  });
  beforeEach(async () => {
    core = await startCore();
    orgId = (await core.post('/api/orgs', { name: 'Acme', plan: 'standard', subscription: 'guard', admins: ['root@acme.com'] })).body.id;
    directoryId = (await core.post(`/api/orgs/${orgId}/directories`, { name: 'Okta' })).body.id;
  });
  afterEach(() => core.close());

  const base = () => `/api/orgs/${orgId}/directories/${directoryId}/saml`;
  const importing = (body: Record<string, unknown>) => core.post(`${base()}/metadata`, body);

  it('shows the SP details before the IdP side is known, and keeps them once the metadata is imported', async () => {
    const before = await core.get(`${base()}/service-provider`);
    expect(before.status).to.equal(200);
    expect(before.body).to.include({
      connectionId: directoryId,
      configured: false,
      spEntityId: `http://localhost:8000/saml/${directoryId}`,
      acsUrl: `http://localhost:8000/login/callback?connection=saml-${directoryId}`,
      sloUrl: `http://localhost:8000/logout/callback?connection=saml-${directoryId}`,
      metadataUrl: `http://localhost:8000/saml/${directoryId}/metadata`,
    });
    const imported = await importing({ xml: metadataXml(idpKey, { wantSigned: true }) });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
    expect(imported.body).to.include({
      id: directoryId,
      idpEntityId: 'https://idp.example.com/entity',
      ssoUrl: 'https://idp.example.com/sso/redirect',
      sloUrl: 'https://idp.example.com/slo',
      signAuthnRequests: true,
      spEntityId: before.body.spEntityId,
      acsUrl: before.body.acsUrl,
    });
    expect(imported.body.certificate).to.equal(idpKey.certificatePem);
    expect(imported.body.imported).to.deep.equal({ certificates: 1, metadataSignatureVerified: false });
    const after = (await core.get(`${base()}/service-provider`)).body;
    expect(after).to.include({ configured: true, spEntityId: before.body.spEntityId, signAuthnRequests: true });
    // Imported again (metadata refreshed): the same connection, updated; the settings given win over the metadata.
    const again = await importing({ xml: metadataXml(idpKey, { slo: false }), signAuthnRequests: false, allowIdpInitiated: true });
    expect(again.body).to.include({ id: directoryId, signAuthnRequests: false, allowIdpInitiated: true, sloUrl: null });
  });

  it('checks the metadata signature when a certificate is given', async () => {
    const signed = sign(metadataXml(idpKey), federationKey);
    const verified = await importing({ xml: signed, certificate: federationKey.certificatePem });
    expect(verified.status, JSON.stringify(verified.body)).to.equal(200);
    expect(verified.body.imported.metadataSignatureVerified).to.equal(true);
    const refusals: [string, Record<string, unknown>, string][] = [
      [
        'tampered',
        { xml: signed.replace('https://idp.example.com/sso/redirect', 'https://evil.example/sso'), certificate: federationKey.certificatePem },
        'metadata-signature-invalid',
      ],
      ['signed by someone else', { xml: sign(metadataXml(idpKey), idpKey), certificate: federationKey.certificatePem }, 'metadata-signature-invalid'],
      ['unsigned', { xml: metadataXml(idpKey), certificate: federationKey.certificatePem }, 'metadata-unsigned'],
    ];
    await core.delete(base());
    for (const [what, body, code] of refusals) {
      const refused = await importing(body);
      expect(refused.status, what).to.equal(422);
      expect(refused.body.error.code, what).to.equal(code);
    }
    expect((await core.get(base())).status, 'nothing was configured').to.equal(404);
  });

  const bad: [string, () => Record<string, unknown>, number, string][] = [
    ['not XML', () => ({ xml: '<EntityDescriptor' }), 400, 'metadata-invalid'],
    ['a DOCTYPE', () => ({ xml: `<!DOCTYPE x [<!ENTITY a "b">]>${metadataXml(idpKey)}` }), 400, 'metadata-doctype'],
    [
      'over 512 KiB',
      () => ({ xml: metadataXml(idpKey).replace('<NameIDFormat>', `<!--${'x'.repeat(600 * 1024)}--><NameIDFormat>`) }),
      400,
      'metadata-too-large',
    ],
    [
      'an SP, not an IdP',
      () => ({ xml: `<EntityDescriptor xmlns="${MD}" entityID="sp"><SPSSODescriptor protocolSupportEnumeration="x"/></EntityDescriptor>` }),
      400,
      'metadata-invalid',
    ],
    ['no Redirect SSO', () => ({ xml: metadataXml(idpKey, { sso: [POST] }) }), 422, 'metadata-no-redirect-sso'],
    ['no signing certificate', () => ({ xml: metadataXml(idpKey, { use: 'encryption' }) }), 422, 'metadata-no-signing-certificate'],
    ['past its validUntil', () => ({ xml: metadataXml(idpKey, { validUntil: '2020-01-01T00:00:00Z' }) }), 422, 'metadata-expired'],
    ['both xml and url', () => ({ xml: metadataXml(idpKey), url: 'https://idp.example.com/md' }), 400, 'invalid-request'],
    ['a file URL', () => ({ url: 'file:///etc/passwd' }), 400, 'invalid-request'],
    ['an unreachable URL', () => ({ url: 'http://127.0.0.1:9/metadata' }), 422, 'metadata-unreachable'],
  ];
  for (const [what, body, status, code] of bad)
    it(`refuses metadata with ${what} (${status} ${code}) and configures nothing`, async () => {
      const refused = await importing(body());
      expect(refused.status, JSON.stringify(refused.body)).to.equal(status);
      expect(refused.body.error.code).to.equal(code);
      expect((await core.get(base())).status).to.equal(404);
    });

  it('imports from a URL, and an EntitiesDescriptor around one IdP', async () => {
    const wrapped = `<EntitiesDescriptor xmlns="${MD}">${metadataXml(idpKey).replace(` xmlns="${MD}"`, '')}</EntitiesDescriptor>`;
    const server: Server = createServer((req, res) => {
      if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(wrapped);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const imported = await importing({ url: `${url}/metadata` });
      expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
      expect(imported.body.idpEntityId).to.equal('https://idp.example.com/entity');
      const missing = await importing({ url: `${url}/nothing` });
      expect([missing.status, missing.body.error.code]).to.deep.equal([422, 'metadata-unreachable']);
    } finally {
      server.close();
    }
  });

  it('refuses the local directory', async () => {
    const local = (await core.get(`/api/orgs/${orgId}/directories`)).body.find((d: { kind: string }) => d.kind === 'local');
    const refused = await core.post(`/api/orgs/${orgId}/directories/${local.id}/saml/metadata`, { xml: metadataXml(idpKey) });
    expect([refused.status, refused.body.error.code]).to.deep.equal([422, 'saml-requires-idp-directory']);
    expect((await core.get(`/api/orgs/${orgId}/directories/${local.id}/saml/service-provider`)).status).to.equal(422);
  });
});
