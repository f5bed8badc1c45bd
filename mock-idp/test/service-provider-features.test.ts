import { sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { expect } from 'chai';
import { ENCRYPTION_ALGORITHMS } from '../src/saml/encryption.ts';
import { ACS, authnRequestXml, decodeResponse, formFields, pysaml2Judge, redirectParam, run, startIdp, xmlsecVerify, type TestIdp } from './support/idp.ts';
import { type SamlifyPeer } from './support/samlify-sp.ts';
import { keys, peer, registerSigningSp, SIGNING_ACS, SIGNING_SLO, SIGNING_SP } from './support/signing-sp.ts';

/** The query string (what the signature covers) of a URL samlify built against the IdP's public URL. */
const queryOf = (url: string) => url.slice(url.indexOf('?') + 1);
const codeOf = (html: string) => /<code>([^<]+)<\/code>/.exec(html)?.[1];

describe('mock-idp: signed AuthnRequests, made by samlify', () => {
  let idp: TestIdp;
  beforeEach(async () => {
    idp = await startIdp();
    await registerSigningSp(idp);
  });
  afterEach(() => idp.close());

  it('accepts a request signed on the HTTP-Redirect binding, and refuses it once the query is altered', async () => {
    const { sp, idp: target } = await peer(idp);
    const { context } = sp.createLoginRequest(target, 'redirect') as { context: string };
    expect(context).to.contain('Signature=');
    const accepted = await idp.request('GET', `/saml/sso?${queryOf(context)}`);
    expect(accepted.status, accepted.text).to.equal(303);
    expect(accepted.headers.get('location')).to.match(/^\/login\//);

    const altered = await idp.request('GET', `/saml/sso?${queryOf(context)}`.replace(/&SigAlg=/, '&RelayState=%2Fadmin&SigAlg='));
    expect(altered.status).to.equal(403);
    expect(codeOf(altered.text)).to.equal('request-signature-invalid');
    // A parameter given twice (which copy would the signature cover?) is refused before anything reads it.
    const doubled = await idp.request('GET', `/saml/sso?${queryOf(context)}&RelayState=%2Fa&RelayState=%2Fb`);
    expect(doubled.status).to.equal(400);
    expect(codeOf(doubled.text)).to.equal('query-parameter-repeated');
  });

  it('accepts a request signed on the HTTP-POST binding, and refuses one signed by another key', async () => {
    const { sp, idp: target } = await peer(idp);
    const post = sp.createLoginRequest(target, 'post') as { context: string };
    expect(Buffer.from(post.context, 'base64').toString()).to.contain('<ds:Signature');
    const accepted = await idp.request('POST', '/saml/sso', `SAMLRequest=${encodeURIComponent(post.context)}`);
    expect(accepted.status, accepted.text).to.equal(303);

    const stranger = await peer(idp, keys.stranger);
    const forged = stranger.sp.createLoginRequest(stranger.idp, 'post') as { context: string };
    const refused = await idp.request('POST', '/saml/sso', `SAMLRequest=${encodeURIComponent(forged.context)}`);
    expect(refused.status).to.equal(403);
    expect(codeOf(refused.text)).to.equal('request-signature-invalid');
  });

  it('refuses an unsigned request from an SP registered as signing, on both bindings', async () => {
    const { sp, idp: target } = await peer(idp, keys.sp, false);
    const { context } = sp.createLoginRequest(target, 'redirect') as { context: string };
    expect(context).not.to.contain('Signature=');
    const redirect = await idp.request('GET', `/saml/sso?${queryOf(context)}`);
    expect(redirect.status).to.equal(403);
    expect(codeOf(redirect.text)).to.equal('request-unsigned');
    const post = await idp.request(
      'POST',
      '/saml/sso',
      `SAMLRequest=${encodeURIComponent(Buffer.from(authnRequestXml({ issuer: SIGNING_SP })).toString('base64'))}`,
    );
    expect(codeOf(post.text)).to.equal('request-unsigned');
    const ledger = (await idp.request('GET', '/api/ledger?message=AuthnRequest')).body.entries;
    expect(ledger.map((e: { outcome: string }) => e.outcome)).to.deep.equal(['request-unsigned', 'request-unsigned']);
  });

  it('refuses rsa-sha1 on the redirect binding, and a signed request from an SP without a certificate', async () => {
    const query = `SAMLRequest=${redirectParam(authnRequestXml({ issuer: SIGNING_SP }))}&SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`;
    const signature = sign('sha1', Buffer.from(query), keys.sp.privateKey).toString('base64');
    const sha1 = await idp.request('GET', `/saml/sso?${query}&Signature=${encodeURIComponent(signature)}`);
    expect(sha1.status).to.equal(400);
    expect(codeOf(sha1.text)).to.equal('unsupported-signature-algorithm');

    const unsignedSp = `SAMLRequest=${redirectParam(authnRequestXml())}&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
    const noCert = await idp.request(
      'GET',
      `/saml/sso?${unsignedSp}&Signature=${encodeURIComponent(sign('sha256', Buffer.from(unsignedSp), keys.sp.privateKey).toString('base64'))}`,
    );
    expect(noCert.status).to.equal(400);
    expect(codeOf(noCert.text)).to.equal('sp-certificate-missing');
  });
});

describe('mock-idp: single logout', () => {
  let idp: TestIdp;
  let samlify: SamlifyPeer;
  beforeEach(async () => {
    idp = await startIdp();
    await registerSigningSp(idp);
    samlify = await peer(idp);
  });
  afterEach(() => idp.close());

  /** Logs Alice in through the login page; returns the IdP cookie and what the SP received. */
  async function browserLogin(cookie?: string) {
    const { context } = samlify.sp.createLoginRequest(samlify.idp, 'redirect') as { context: string };
    const start = await idp.request('GET', `/saml/sso?${queryOf(context)}`, undefined, cookie ? { cookie } : {});
    if (start.status === 200) return { silent: true, cookie: cookie!, xml: decodeResponse(formFields(start.text).samlResponse!) };
    const posted = await idp.request('POST', start.headers.get('location')!, 'username=alice%40acme.com&password=alice-pass');
    const xml = decodeResponse(formFields(posted.text).samlResponse!);
    return { silent: false, cookie: posted.headers.get('set-cookie')!.split(';')[0]!, xml };
  }
  const sessionIndexOf = (xml: string) => /SessionIndex="([^"]+)"/.exec(xml)![1]!;
  const sessions = async () => (await idp.request('GET', '/api/sessions')).body.sessions as { user: string; serviceProviders: string[] }[];

  it('HTTP-Redirect: ends the IdP session and answers with a LogoutResponse samlify verifies', async () => {
    const first = await browserLogin();
    expect(first.silent).to.equal(false);
    expect((await browserLogin(first.cookie)).silent, 'the session makes the second login silent').to.equal(true);
    const [session] = await sessions();
    expect(session).to.include({ user: 'alice@acme.com' });
    expect(session!.serviceProviders).to.deep.equal([SIGNING_SP]);

    const logout = samlify.sp.createLogoutRequest(samlify.idp, 'redirect', { logoutNameID: 'alice@acme.com', sessionIndex: sessionIndexOf(first.xml) }, '/bye');
    const answer = await idp.request('GET', `/saml/slo?${queryOf(logout.context)}`, undefined, { cookie: first.cookie });
    expect(answer.status, answer.text).to.equal(303);
    const location = answer.headers.get('location')!;
    expect(location.startsWith(`${SIGNING_SLO}?SAMLResponse=`)).to.equal(true);
    expect(answer.headers.get('set-cookie')).to.match(/rehearsal_idp_session=;/);

    const url = new URL(location);
    const parsed = await samlify.sp.parseLogoutResponse(samlify.idp, 'redirect', {
      query: Object.fromEntries(url.searchParams),
      // What the signature covers: the query as sent, without the Signature itself.
      octetString: queryOf(location).replace(/&Signature=.*$/, ''),
    });
    expect(parsed.extract.response?.inResponseTo).to.equal(logout.id);
    expect(url.searchParams.get('RelayState')).to.equal('/bye');
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLResponse')!, 'base64')).toString();
    expect(xml).to.contain('StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"');

    expect(await sessions()).to.deep.equal([]);
    expect((await browserLogin(first.cookie)).silent, 'after logout the login page is back').to.equal(false);
    const ledger = (await idp.request('GET', '/api/ledger?after=0')).body.entries.filter((e: { message: string }) => e.message.startsWith('Logout'));
    expect(ledger.map((e: { direction: string; message: string; binding: string }) => `${e.direction} ${e.message} ${e.binding}`)).to.deep.equal([
      'received LogoutRequest redirect',
      'sent LogoutResponse redirect',
    ]);
  });

  it('HTTP-POST: ends the session the NameID names, without the browser cookie, and signs the LogoutResponse', async () => {
    await browserLogin();
    expect(await sessions()).to.have.length(1);
    const logout = samlify.sp.createLogoutRequest(samlify.idp, 'post', { logoutNameID: 'alice@acme.com' }) as { context: string };
    const answer = await idp.request('POST', '/saml/slo', `SAMLRequest=${encodeURIComponent(logout.context)}&RelayState=%2Fbye`);
    expect(answer.status, answer.text).to.equal(200);
    const fields = formFields(answer.text);
    expect(fields).to.include({ action: SIGNING_SLO, relayState: '/bye' });
    const parsed = await samlify.sp.parseLogoutResponse(samlify.idp, 'post', { body: { SAMLResponse: fields.samlResponse } });
    expect(parsed.extract.response?.inResponseTo).to.be.a('string');
    const checked = await xmlsecVerify(decodeResponse(fields.samlResponse!), idp.credential.certificatePem, 'LogoutResponse', idp.dir);
    expect(checked.code, checked.output).to.equal(0);
    expect(await sessions()).to.deep.equal([]);
  });

  it('refuses an unsigned LogoutRequest from an SP that signs, and one from an SP without an SLO URL; sessions stay', async () => {
    await browserLogin();
    const unsigned = await peer(idp, keys.sp, false);
    const { context } = unsigned.sp.createLogoutRequest(unsigned.idp, 'redirect', { logoutNameID: 'alice@acme.com' }) as { context: string };
    const refused = await idp.request('GET', `/saml/slo?${queryOf(context)}`);
    expect(refused.status).to.equal(403);
    expect(codeOf(refused.text)).to.equal('request-unsigned');

    await idp.request('PUT', `/api/service-providers/${encodeURIComponent(SIGNING_SP)}`, { acsUrls: [SIGNING_ACS], certificate: keys.sp.certificatePem });
    const noSlo = samlify.sp.createLogoutRequest(samlify.idp, 'redirect', { logoutNameID: 'alice@acme.com' }) as { context: string };
    const missing = await idp.request('GET', `/saml/slo?${queryOf(noSlo.context)}`);
    expect(missing.status).to.equal(400);
    expect(codeOf(missing.text)).to.equal('slo-url-missing');
    expect(await sessions()).to.have.length(1);

    const json = await idp.request('GET', '/saml/slo', undefined, { accept: 'application/json' });
    expect(json.status).to.equal(400);
    expect(json.body.error.code).to.equal('saml-request-missing');
  });
});

describe('mock-idp: encrypted assertions', () => {
  const ENCRYPTED_SP = {
    entityId: 'https://encrypted.example.test/sp',
    acsUrls: ['https://encrypted.example.test/acs'],
    signing: 'both',
    encryptAssertions: true,
  };

  it('encrypts the signed assertion to the SP’s certificate; xmlsec1 decrypts it and verifies both signatures', async () => {
    const idp = await startIdp();
    try {
      expect((await idp.request('POST', '/api/service-providers', { ...ENCRYPTED_SP, certificate: keys.sp.certificatePem })).status).to.equal(201);
      const xml = decodeResponse((await idp.request('POST', '/api/login', { sp: ENCRYPTED_SP.entityId, user: 'alice@acme.com' })).body.samlResponse);
      expect(xml).to.contain('<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData');
      expect(xml).to.contain('http://www.w3.org/2009/xmlenc11#aes256-gcm');
      expect(xml).to.contain('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
      expect(xml).not.to.contain('alice@acme.com');
      expect((await xmlsecVerify(xml, idp.credential.certificatePem, 'Response', idp.dir)).code, 'the response signature covers the ciphertext').to.equal(0);

      const encrypted = join(idp.dir, 'encrypted.xml');
      const key = join(idp.dir, 'sp-key.pem');
      writeFileSync(encrypted, xml);
      writeFileSync(key, keys.sp.privateKeyPem);
      const decrypted = await run('xmlsec1', ['--decrypt', '--privkey-pem', key, '--node-xpath', "//*[local-name()='EncryptedData']", encrypted]);
      expect(decrypted.code, decrypted.output).to.equal(0);
      expect(decrypted.output).to.contain('>alice@acme.com</NameID>');
      const assertion = decrypted.output.slice(decrypted.output.indexOf('<samlp:Response'));
      const verified = await xmlsecVerify(
        assertion.slice(0, assertion.lastIndexOf('</samlp:Response>') + '</samlp:Response>'.length),
        idp.credential.certificatePem,
        'Assertion',
        idp.dir,
      );
      expect(verified.code, verified.output).to.equal(0);
    } finally {
      await idp.close();
    }
  });

  it('pysaml2 decrypts and accepts GCM and CBC assertions, and still refuses an expired one', async () => {
    const idp = await startIdp({ frozen: false });
    try {
      const responses = [];
      for (const [i, [algorithm, faults]] of (
        [
          ['aes256-gcm', []],
          ['aes128-cbc', []],
          ['aes256-cbc', ['expired']],
        ] as const
      ).entries()) {
        const entityId = `https://encrypted${i}.example.test/sp`;
        await idp.request('POST', '/api/service-providers', {
          ...ENCRYPTED_SP,
          entityId,
          acsUrls: [ACS],
          certificate: keys.sp.certificatePem,
          encryptionAlgorithm: algorithm,
        });
        const res = await idp.request('POST', '/api/login', { sp: entityId, user: 'alice@acme.com', faults });
        expect(decodeResponse(res.body.samlResponse)).to.contain(ENCRYPTION_ALGORITHMS[algorithm]);
        responses.push({ entityId, samlResponse: res.body.samlResponse as string });
      }
      for (const [i, expected] of [true, true, false].entries()) {
        const [verdict] = await pysaml2Judge(idp, { entityId: responses[i]!.entityId, acs: ACS, keys: keys.sp }, [responses[i]!]);
        expect(verdict!.ok, verdict!.error).to.equal(expected);
        if (expected) expect(verdict!.nameId).to.equal('alice@acme.com');
        else expect(verdict!.error).to.match(/too old/);
      }
    } finally {
      await idp.close();
    }
  });

  it('refuses encryption without a certificate to encrypt to, and changes nothing', async () => {
    const idp = await startIdp();
    try {
      const res = await idp.request('POST', '/api/service-providers', ENCRYPTED_SP);
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0].path).to.equal('body.encryptionCertificate');
      expect((await idp.request('GET', `/api/service-providers/${encodeURIComponent(ENCRYPTED_SP.entityId)}`)).status).to.equal(404);
    } finally {
      await idp.close();
    }
  });
});

describe('mock-idp: time limits, driven by the harness clock', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());
  const advance = (by: string) => idp.request('POST', '/_rehearsal/clock', { advance: by });

  it('a login page left open 15 minutes is gone with login-expired', async () => {
    const start = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
    const page = start.headers.get('location')!;
    expect((await advance('14m')).status).to.equal(200);
    expect((await idp.request('GET', page)).status).to.equal(200);
    await advance('1m');
    const expired = await idp.request('GET', page);
    expect(expired.status).to.equal(410);
    expect(codeOf(expired.text)).to.equal('login-expired');
    const posted = await idp.request('POST', page, 'username=alice%40acme.com&password=alice-pass');
    expect(posted.status).to.equal(404);
  });

  it('the IdP session lasts 12 hours: silent before, login page after', async () => {
    const request = () => idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`, undefined, { cookie });
    const start = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
    const posted = await idp.request('POST', start.headers.get('location')!, 'username=alice%40acme.com&password=alice-pass');
    const cookie = posted.headers.get('set-cookie')!.split(';')[0]!;
    await advance('11h59m');
    expect((await request()).status, 'silent').to.equal(200);
    await advance('1m');
    expect((await request()).status, 'back to the login page').to.equal(303);
  });
});
