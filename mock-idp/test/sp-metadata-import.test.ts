import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { parseCertificate } from '@rehearsal/runtime/credentials';
import { ACS, SP, decodeResponse, startIdp, xmlsecVerify, type TestIdp } from './support/idp.ts';
import { keys, peer, SIGNING_ACS, SIGNING_SLO, SIGNING_SP } from './support/signing-sp.ts';

describe('mock-idp: SP metadata import and certificate rollover', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  async function spMetadata(): Promise<string> {
    const { sp } = await peer(idp);
    const withEncryption = (await import('samlify')).ServiceProvider({
      ...sp.entitySetting,
      encryptCert: keys.stranger.certificatePem,
    });
    return withEncryption.getMetadata();
  }

  it('imports an SP from its metadata XML: ACS, SLO, signing and encryption certificates, signed requests', async () => {
    const res = await idp.request('POST', '/api/service-providers/import', { xml: await spMetadata(), overrides: { encryptAssertions: true } });
    expect(res.status, res.text).to.equal(201);
    expect(res.body).to.include({ entityId: SIGNING_SP, sloUrl: SIGNING_SLO, wantAuthnRequestsSigned: true });
    expect(res.body.acsUrls).to.deep.equal([SIGNING_ACS]);
    expect(res.body.certificate).to.equal(parseCertificate(keys.sp.certificatePem).certificatePem);
    expect(res.body).to.include({ encryptAssertions: true, encryptionCertificate: parseCertificate(keys.stranger.certificatePem).certificatePem });
  });

  it('imports the same SP again as an update by entity ID (201, then 200), and what GET shows can be PUT back unchanged', async () => {
    const xml = await spMetadata();
    expect((await idp.request('POST', '/api/service-providers/import', { xml })).status).to.equal(201);
    const moved = xml.replaceAll(SIGNING_ACS, `${SIGNING_ACS}/v2`);
    const again = await idp.request('POST', '/api/service-providers/import', { xml: moved, overrides: { encryptAssertions: true } });
    expect(again.status, again.text).to.equal(200);
    expect(again.body.acsUrls).to.deep.equal([`${SIGNING_ACS}/v2`]);
    expect(
      (await idp.request('GET', '/api/service-providers')).body.serviceProviders.filter((s: { entityId: string }) => s.entityId === SIGNING_SP),
    ).to.have.length(1);

    // Every shape of registration survives GET then PUT: signing both ways, short names, persistent NameIDs, encryption.
    await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP)}`, {
      acsUrls: [ACS],
      attributeNames: 'friendly',
      nameIdFormat: 'persistent',
      signing: 'both',
      signatureAlgorithm: 'rsa-sha512',
      assertionLifetime: '2m',
      allowIdpInitiated: false,
    });
    for (const entityId of [SIGNING_SP, SP]) {
      const path = `/api/service-providers/${encodeURIComponent(entityId)}`;
      const shown = (await idp.request('GET', path)).body;
      const put = await idp.request('PUT', path, shown);
      expect(put.status, put.text).to.equal(200);
      expect(put.body, entityId).to.deep.equal(shown);
      expect((await idp.request('GET', path)).body, entityId).to.deep.equal(shown);
    }
  });

  it('imports from a URL, and says when the URL cannot be read', async () => {
    const xml = await spMetadata();
    const server: Server = createServer((req, res) => {
      if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(xml);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const imported = await idp.request('POST', '/api/service-providers/import', { url: `${base}/metadata` });
      expect(imported.status, imported.text).to.equal(201);
      const missing = await idp.request('POST', '/api/service-providers/import', { url: `${base}/nothing` });
      expect(missing.status).to.equal(422);
      expect(missing.body.error.code).to.equal('metadata-unreachable');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const closed = await idp.request('POST', '/api/service-providers/import', { url: `${base}/metadata` });
    expect(closed.status).to.equal(422);
  });

  it('refuses bad metadata with a 400 and registers nothing', async () => {
    const cases: [unknown, string][] = [
      [{ xml: '<EntityDescriptor' }, 'invalid-metadata'],
      [{ xml: '<!DOCTYPE x [<!ENTITY a "b">]><EntityDescriptor/>' }, 'xml-doctype'],
      [{ xml: '<x/>', url: 'http://127.0.0.1:1/m' }, 'invalid-request'],
      [{ url: 'file:///etc/passwd' }, 'invalid-request'],
    ];
    for (const [body, code] of cases) {
      const res = await idp.request('POST', '/api/service-providers/import', body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.error.code, JSON.stringify(body)).to.equal(code);
    }
    expect((await idp.request('GET', '/api/service-providers')).body.serviceProviders).to.have.length(2);
  });

  it('publishes a staged certificate beside the signing one, and keeps signing with the current key', async () => {
    const staged = await startIdp({ stagedCertificate: parseCertificate(keys.stranger.certificatePem) });
    try {
      const metadata = (await staged.request('GET', '/saml/metadata')).text;
      expect(metadata).to.contain(staged.credential.certificateBase64);
      expect(metadata).to.contain(keys.stranger.certificateBase64);
      const xml = decodeResponse((await staged.request('POST', '/api/login', { sp: SP, user: 'alice@acme.com' })).body.samlResponse);
      expect((await xmlsecVerify(xml, staged.credential.certificatePem, 'Assertion', staged.dir)).code).to.equal(0);
      expect(xml).not.to.contain(keys.stranger.certificateBase64);
    } finally {
      await staged.close();
    }
  });
});
