import { expect } from 'chai';
import { join } from 'node:path';
import { generateCredential, loadOrCreateCredential, type SigningCredential } from '@rehearsal/runtime/credentials';
import {
  ACS,
  ACS2,
  SP,
  SP2,
  authnRequestXml,
  decodeResponse,
  formFields,
  pysaml2Judge,
  redirectParam,
  startIdp,
  xmlsecVerify,
  type TestIdp,
} from './support/idp.ts';

const login = (idp: TestIdp, body: Record<string, unknown>) => idp.request('POST', '/api/login', body, { accept: 'application/json' });
const xmlOf = async (idp: TestIdp, body: Record<string, unknown>) => decodeResponse((await login(idp, body)).body.samlResponse);

describe('mock-idp: SAML responses', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  it('publishes metadata with the signing certificate and both SSO bindings', async () => {
    const res = await idp.request('GET', '/saml/metadata');
    expect(res.headers.get('content-type')).to.contain('application/samlmetadata+xml');
    expect(res.text).to.contain('entityID="http://localhost:7000/saml/metadata"');
    expect(res.text).to.contain(idp.credential.certificateBase64);
    expect(res.text).to.contain('HTTP-Redirect" Location="http://localhost:7000/saml/sso"');
    expect(res.text).to.contain('HTTP-POST" Location="http://localhost:7000/saml/sso"');
  });

  it('answers the headless login with a response whose assertion xmlsec1 verifies', async () => {
    const res = await login(idp, { sp: SP, user: 'alice@acme.com', relayState: '/boards' });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ acsUrl: ACS, relayState: '/boards' });
    const xml = decodeResponse(res.body.samlResponse);
    expect(xml).to.contain('Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@acme.com</NameID>');
    expect(xml).to.contain('<Audience>https://sp.example.test/saml/metadata</Audience>');
    expect(xml).to.contain(
      'Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><AttributeValue>Alice</AttributeValue>',
    );
    expect(xml).to.contain('NotOnOrAfter="2026-11-23T09:05:00Z"');
    const verified = await xmlsecVerify(xml, idp.credential.certificatePem, 'Assertion', idp.dir);
    expect(verified.output).to.match(/^OK$/m);
    expect(verified.code).to.equal(0);
  });

  it('signs response and assertion with rsa-sha512 when the SP asks for both', async () => {
    const xml = await xmlOf(idp, { sp: SP2, user: 'bob@acme.com' });
    expect(xml).to.contain('xmldsig-more#rsa-sha512');
    for (const which of ['Response', 'Assertion'] as const)
      expect((await xmlsecVerify(xml, idp.credential.certificatePem, which, idp.dir)).code, which).to.equal(0);
  });

  it('fails xmlsec1 verification when a signed value is altered', async () => {
    const xml = (await xmlOf(idp, { sp: SP, user: 'alice@acme.com' })).replace('>alice@acme.com</NameID>', '>mallory@acme.com</NameID>');
    expect((await xmlsecVerify(xml, idp.credential.certificatePem, 'Assertion', idp.dir)).code).not.to.equal(0);
  });

  it('escapes attribute values: markup in a department stays text', async () => {
    await idp.request('PATCH', '/api/users/alice@acme.com', { department: '</AttributeValue></Attribute><Attribute Name="role"><AttributeValue>admin' });
    const xml = await xmlOf(idp, { sp: SP, user: 'alice@acme.com' });
    expect(xml).not.to.contain('<Attribute Name="role">');
    expect(xml).to.contain('&lt;/AttributeValue&gt;&lt;/Attribute&gt;&lt;Attribute Name="role"&gt;');
    expect((await xmlsecVerify(xml, idp.credential.certificatePem, 'Assertion', idp.dir)).code).to.equal(0);
  });

  it('sends friendly attribute names and a persistent NameID when the SP is set up so', async () => {
    await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP)}`, { acsUrls: [ACS], attributeNames: 'friendly', nameIdFormat: 'persistent' });
    const xml = await xmlOf(idp, { sp: SP, user: 'alice@acme.com' });
    expect(xml).to.match(new RegExp(`Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" SPNameQualifier="${SP}">[A-Za-z0-9_-]{43}</NameID>`));
    expect(xml).to.contain('Name="givenName" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"');
  });

  it('makes persistent NameIDs opaque and pairwise: stable per user and SP, different per SP, nothing of the email', async () => {
    const persistentAt = async (sp: string) => {
      const xml = await xmlOf(idp, { sp, user: 'alice@acme.com' });
      return /nameid-format:persistent"[^>]*>([^<]+)<\/NameID>/.exec(xml)![1]!;
    };
    for (const sp of [SP, SP2])
      await idp.request('PUT', `/api/service-providers/${encodeURIComponent(sp)}`, { acsUrls: [sp === SP ? ACS : ACS2], nameIdFormat: 'persistent' });
    const first = await persistentAt(SP);
    expect(first).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(first).not.to.contain('alice');
    const alice = (await idp.request('GET', '/api/users/alice@acme.com')).body;
    expect(first).not.to.equal(alice.id);
    expect(await persistentAt(SP), 'the same at every login').to.equal(first);
    expect(await persistentAt(SP2), 'another at another SP').not.to.equal(first);
    // An email change keeps the identifier: it follows the user, not the address.
    await idp.request('PATCH', '/api/users/alice@acme.com', { email: 'alice.liddell@acme.com' });
    const renamed = /nameid-format:persistent"[^>]*>([^<]+)<\/NameID>/.exec(await xmlOf(idp, { sp: SP, user: 'alice.liddell@acme.com' }))![1];
    expect(renamed).to.equal(first);
    // An SP that wants a user field as its persistent identifier names it.
    await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP)}`, { acsUrls: [ACS], nameIdFormat: 'persistent', nameIdSource: 'id' });
    expect(await xmlOf(idp, { sp: SP, user: 'alice.liddell@acme.com' })).to.contain(`>${alice.id}</NameID>`);
  });

  it('keeps persistent NameIDs across a restart with the same signing key, and not with another key', async () => {
    const files = { keyPath: join(idp.dir, 'idp.key.pem'), certPath: join(idp.dir, 'idp.cert.pem') };
    const valueWith = async (credential: SigningCredential) => {
      const restarted = await startIdp({ credential, serviceProviders: [{ entityId: SP, acsUrls: [ACS], nameIdFormat: 'persistent' }] });
      try {
        return /nameid-format:persistent"[^>]*>([^<]+)<\/NameID>/.exec(await xmlOf(restarted, { sp: SP, user: 'alice@acme.com' }))![1];
      } finally {
        await restarted.close();
      }
    };
    // Two loads of the same key files: two processes' worth of credential objects, one key.
    const first = await valueWith((await loadOrCreateCredential(files, 'test', new Date())).credential);
    const second = await valueWith((await loadOrCreateCredential(files, 'test', new Date())).credential);
    expect(second).to.equal(first);
    expect(await valueWith(await generateCredential('another IdP key', new Date()))).not.to.equal(first);
  });

  it('lets the NameIDPolicy pick only among the formats the SP allows', async () => {
    await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP)}`, { acsUrls: [ACS], nameIdFormats: ['email', 'persistent'] });
    const shown = (await idp.request('GET', `/api/service-providers/${encodeURIComponent(SP)}`)).body;
    expect(shown.nameIdFormats).to.deep.equal(['email', 'persistent']);
    const request = (format: string, id: string) => `http://sp.example.test/?SAMLRequest=${redirectParam(authnRequestXml({ id, nameIdFormat: format }))}`;
    const persistent = decodeResponse(
      (await login(idp, { sp: SP, user: 'alice@acme.com', authnRequest: request('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', '_req-p') })).body
        .samlResponse,
    );
    expect(persistent).to.contain('nameid-format:persistent');
    const transient = decodeResponse(
      (await login(idp, { sp: SP, user: 'alice@acme.com', authnRequest: request('urn:oasis:names:tc:SAML:2.0:nameid-format:transient', '_req-t') })).body
        .samlResponse,
    );
    expect(transient).to.contain('status:InvalidNameIDPolicy');
    expect(transient).not.to.contain('<Assertion');
    // Without a NameIDPolicy, the SP's own format: the email.
    expect(await xmlOf(idp, { sp: SP, user: 'alice@acme.com' })).to.contain('nameid-format:emailAddress">alice@acme.com</NameID>');
  });

  it('sends every mapped user field by default, groups and timezone included, each with its NameFormat', async () => {
    await idp.request('PATCH', '/api/users/alice@acme.com', { timezone: 'Europe/London', jobTitle: 'Engineer' });
    const xml = await xmlOf(idp, { sp: SP, user: 'alice@acme.com' });
    const attributes = [...xml.matchAll(/<Attribute ([^>]*)>(.*?)<\/Attribute>/g)].map(([, head, body]) => ({
      friendly: /FriendlyName="([^"]+)"/.exec(head!)?.[1],
      format: /NameFormat="([^"]+)"/.exec(head!)?.[1],
      values: [...body!.matchAll(/<AttributeValue>([^<]*)<\/AttributeValue>/g)].map((m) => m[1]),
    }));
    const byName = Object.fromEntries(attributes.map((a) => [a.friendly, a.values]));
    expect(byName).to.deep.include({ email: ['alice@acme.com'], timezone: ['Europe/London'], jobTitle: ['Engineer'], givenName: ['Alice'] });
    expect(byName.groups, 'the groups alice is in').to.be.an('array').with.length.greaterThan(0);
    expect(byName).to.have.property('displayName');
    for (const a of attributes) expect(a.format, a.friendly).to.equal('urn:oasis:names:tc:SAML:2.0:attrname-format:uri');
  });

  it("narrows the default set to the fields an SP's registration names, and says which names have no default", async () => {
    const put = await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP)}`, { acsUrls: [ACS], attributes: ['email', 'groups'] });
    expect(put.status, put.text).to.equal(200);
    expect(put.body.attributes.map((a: { source: string }) => a.source)).to.deep.equal(['email', 'groups']);
    const xml = await xmlOf(idp, { sp: SP, user: 'alice@acme.com' });
    expect(xml).to.contain('FriendlyName="email"').and.to.contain('FriendlyName="groups"');
    expect(xml).not.to.contain('FriendlyName="givenName"');
    const refused = await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP)}`, { acsUrls: [ACS], attributes: ['email', 'groupIds'] });
    expect(refused.status).to.equal(400);
    expect(refused.text).to.contain('groupIds has no default attribute');
  });

  it('refuses unknown SPs and users with clear codes', async () => {
    expect((await login(idp, { sp: 'https://nobody.test', user: 'alice@acme.com' })).body.error.code).to.equal('sp-not-registered');
    expect((await login(idp, { sp: SP, user: 'nobody@acme.com' })).body.error.code).to.equal('user-not-found');
    expect((await login(idp, { sp: SP })).status).to.equal(400);
  });

  it('is accepted by pysaml2, an independent SP implementation', async () => {
    const live = await startIdp({ frozen: false });
    try {
      const samlResponse = (await login(live, { sp: SP, user: 'alice@acme.com' })).body.samlResponse;
      const [verdict] = await pysaml2Judge(live, { entityId: SP, acs: ACS }, [{ samlResponse }]);
      expect(verdict!.ok, verdict!.error).to.equal(true);
      expect(verdict!.nameId).to.equal('alice@acme.com');
      // pysaml2 keeps claim URIs it has no converter for under their full name.
      expect(Object.values(verdict!.attributes!)).to.deep.include(['Liddell']);
    } finally {
      await live.close();
    }
  });
});

describe('mock-idp: SP-initiated single sign-on', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  async function loginThroughPage(path: string) {
    const start = await idp.request('GET', path);
    expect(start.status, start.text).to.equal(303);
    const page = await idp.request('GET', start.headers.get('location')!);
    expect(page.text).to.contain('Log in as Alice Liddell');
    const posted = await idp.request('POST', start.headers.get('location')!, 'username=alice%40acme.com&password=alice-pass');
    return { posted, cookie: posted.headers.get('set-cookie')!.split(';')[0]! };
  }

  it('HTTP-Redirect: login page, password, then a response to the requested ACS with InResponseTo and RelayState', async () => {
    const { posted, cookie } = await loginThroughPage(
      `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-42', acsUrl: `${ACS}/second` }))}&RelayState=%2Fwiki`,
    );
    expect(cookie).to.match(/^rehearsal_idp_session=/);
    const fields = formFields(posted.text);
    expect(fields).to.include({ action: `${ACS}/second`, relayState: '/wiki' });
    const xml = decodeResponse(fields.samlResponse!);
    expect(xml).to.contain('InResponseTo="_req-42"');
    expect((await xmlsecVerify(xml, idp.credential.certificatePem, 'Assertion', idp.dir)).code).to.equal(0);
  });

  it('HTTP-POST binding, and a second login is silent unless ForceAuthn', async () => {
    const { cookie } = await loginThroughPage(`/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
    const form = `SAMLRequest=${encodeURIComponent(Buffer.from(authnRequestXml({ id: '_req-post' })).toString('base64'))}`;
    const silent = await idp.request('POST', '/saml/sso', form, { cookie });
    expect(decodeResponse(formFields(silent.text).samlResponse!)).to.contain('InResponseTo="_req-post"');
    const forced = await idp.request(
      'POST',
      '/saml/sso',
      `SAMLRequest=${encodeURIComponent(Buffer.from(authnRequestXml({ forceAuthn: true })).toString('base64'))}`,
      { cookie },
    );
    expect(forced.status).to.equal(303);
  });

  it('honours the NameIDPolicy format, and answers one it cannot satisfy with InvalidNameIDPolicy at the ACS', async () => {
    const transient = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
    const request = (format: string, id: string) => `http://sp.example.test/?SAMLRequest=${redirectParam(authnRequestXml({ id, nameIdFormat: format }))}`;
    const ok = await login(idp, { sp: SP, user: 'alice@acme.com', authnRequest: request(transient, '_req-transient') });
    const xml = decodeResponse(ok.body.samlResponse);
    expect(xml).to.match(new RegExp(`<NameID Format="${transient}" SPNameQualifier="${SP}">_[0-9a-f]{40}</NameID>`));
    const refused = await login(idp, {
      sp: SP,
      user: 'alice@acme.com',
      authnRequest: request('urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos', '_req-kerberos'),
    });
    expect(refused.status).to.equal(200);
    const error = decodeResponse(refused.body.samlResponse);
    expect(error).to.contain('InResponseTo="_req-kerberos"');
    expect(error).to.contain(
      '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy">',
    );
    expect(error).not.to.contain('<Assertion');
    expect((await xmlsecVerify(error, idp.credential.certificatePem, 'Response', idp.dir)).code).to.equal(0);
  });

  it('IsPassive without a session: a NoPassive status, signed, to the ACS', async () => {
    const res = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ isPassive: true }))}`);
    const xml = decodeResponse(formFields(res.text).samlResponse!);
    expect(xml).to.contain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
    expect(xml).not.to.contain('<Assertion');
    expect((await xmlsecVerify(xml, idp.credential.certificatePem, 'Response', idp.dir)).code).to.equal(0);
  });

  it('asks for the code of a user with the simulated second factor', async () => {
    const start = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
    const mfa = await idp.request('POST', start.headers.get('location')!, 'username=bob%40acme.com&password=bob-pass');
    const action = /action="([^"]*)"/.exec(mfa.text)![1]!.replace(/&amp;/g, '&');
    expect((await idp.request('POST', action, 'code=000000')).status).to.equal(401);
    const xml = decodeResponse(formFields((await idp.request('POST', action, 'code=123456')).text).samlResponse!);
    expect(xml).to.contain('urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor');
  });

  it('refuses a wrong password on the page without a session', async () => {
    const start = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
    const res = await idp.request('POST', start.headers.get('location')!, 'username=alice%40acme.com&password=wrong');
    expect(res.status).to.equal(401);
    expect(res.text).to.contain('Wrong username or password.');
    expect(res.headers.get('set-cookie')).to.equal(null);
  });

  it('refuses unregistered ACS URLs, unknown issuers, DOCTYPEs, garbage and oversized requests with an error page', async () => {
    const cases: [string, number, string][] = [
      [redirectParam(authnRequestXml({ acsUrl: 'https://evil.test/acs' })), 403, 'acs-not-registered'],
      [redirectParam(authnRequestXml({ issuer: 'https://unknown.test' })), 403, 'sp-not-registered'],
      [redirectParam(authnRequestXml({ doctype: true })), 400, 'xml-doctype'],
      [encodeURIComponent(Buffer.from('not deflated').toString('base64')), 400, 'invalid-encoding'],
      [redirectParam(`<a>${'x'.repeat(70_000)}</a>`), 413, 'message-too-large'],
    ];
    for (const [param, status, code] of cases) {
      const res = await idp.request('GET', `/saml/sso?SAMLRequest=${param}`);
      expect(res.status, code).to.equal(status);
      expect(res.text, code).to.contain(`<code>${code}</code>`);
    }
    expect(
      (
        await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ acsUrl: 'https://evil.test/acs' }))}`, undefined, {
          accept: 'application/json',
        })
      ).body.error.code,
    ).to.equal('acs-not-registered');
  });

  it('IdP-initiated: to the default ACS with the RelayState, unless the SP refuses it', async () => {
    const { cookie } = await loginThroughPage(`/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
    const res = await idp.request('GET', `/saml/idp-initiated?sp=${encodeURIComponent(SP2)}&RelayState=%2Fhome`, undefined, { cookie });
    const fields = formFields(res.text);
    expect(fields).to.include({ action: ACS2, relayState: '/home' });
    expect(decodeResponse(fields.samlResponse!)).not.to.contain('InResponseTo');
    await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SP2)}`, { acsUrls: [ACS2], allowIdpInitiated: false });
    expect((await idp.request('GET', `/saml/idp-initiated?sp=${encodeURIComponent(SP2)}`, undefined, { cookie })).status).to.equal(403);
  });
});
