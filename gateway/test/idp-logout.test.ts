import { expect } from 'chai';
import { createVerify } from 'node:crypto';
import { generateCredential, type SigningCredential } from '@rehearsal/runtime/credentials';
import { element, textElement } from '@rehearsal/runtime/xml';
import { buildLogoutResponse, postBindingValue, redirectBindingUrl } from '../../mock-idp/src/saml/logout.ts';
import { sessionCookie, ssoLogin, startStack, type Reply, type Stack } from './support/stack.ts';
import { redirectXml } from './support/schemas.ts';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const IDP = 'http://localhost:7000/saml/metadata';

/** A LogoutRequest as an IdP sends it (the mock IdP's builders sign it; the XML is written here). */
function logoutRequestXml(o: { id: string; nameId: string; sessionIndexes?: string[]; issuer?: string; destination: string }): string {
  return element(
    'samlp:LogoutRequest',
    { 'xmlns:samlp': SAMLP, Destination: o.destination, ID: o.id, IssueInstant: '2026-11-23T09:00:00Z', Version: '2.0' },
    textElement('Issuer', { xmlns: SAML }, o.issuer ?? IDP),
    textElement('NameID', { xmlns: SAML, Format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }, o.nameId),
    ...(o.sessionIndexes ?? []).map((i) => textElement('samlp:SessionIndex', {}, i)),
  );
}

const sessionIndexOf = (samlResponse: string) => /SessionIndex="([^"]+)"/.exec(Buffer.from(samlResponse, 'base64').toString())![1]!;
const local = (url: string) => url.slice(url.indexOf('/', 'http://'.length));

describe('gateway: single logout from the IdP (LogoutRequest on both bindings, LogoutResponse on POST)', function () {
  this.timeout(30_000);
  let stack: Stack;
  let callback: string;
  let idpKey: { credential: SigningCredential; algorithm: 'rsa-sha256' };
  beforeEach(async () => {
    stack = await startStack({ singleLogout: true });
    callback = `http://localhost:8000/logout/callback?connection=saml-${stack.connection.id}`;
    idpKey = { credential: stack.idp.credential, algorithm: 'rsa-sha256' };
  });
  afterEach(() => stack.close());

  const login = async () => {
    const { callback: back, samlResponse } = await ssoLogin(stack, 'alice@acme.com');
    expect(back.status, back.text).to.equal(303);
    return { cookie: sessionCookie(back)!, sessionIndex: sessionIndexOf(samlResponse!) };
  };
  const alive = async (cookie: string) => (await stack.request('GET', '/me', undefined, { cookie })).status === 200;
  // The front channel is a browser: it asks for pages (refusals then carry their code in a page; tests that read the code ask for JSON).
  const redirectRequest = (xml: string, signer = idpKey, relayState?: string, accept = 'text/html') =>
    stack.request('GET', local(redirectBindingUrl(callback, 'SAMLRequest', xml, relayState, signer)), undefined, { accept });
  const postMessage = (field: 'SAMLRequest' | 'SAMLResponse', value: string, accept = 'application/json') =>
    stack.request('POST', `/logout/callback?connection=saml-${stack.connection.id}`, `${field}=${encodeURIComponent(value)}`, { accept });
  const answerOf = (reply: Reply) => {
    expect(reply.status, reply.text).to.equal(303);
    const location = reply.headers.get('location')!;
    expect(location).to.match(/^http:\/\/localhost:7000\/saml\/slo\?SAMLResponse=/);
    return { location, xml: redirectXml(location, 'SAMLResponse') };
  };

  it('ends the person’s sessions through that connection on a signed Redirect LogoutRequest, and answers Success to the IdP', async () => {
    const first = await login();
    const second = await login();
    const bob = await stack.request('POST', '/login/password', { email: 'bob@acme.com', password: 'bob-long-passphrase-1' });
    const bobCookie = sessionCookie(bob)!;
    const reply = await redirectRequest(logoutRequestXml({ id: '_idp-logout-1', nameId: 'Alice@acme.com', destination: callback }), idpKey, '/after');
    const { location, xml } = answerOf(reply);
    expect(xml).to.contain('InResponseTo="_idp-logout-1"').and.to.contain('status:Success');
    expect(new URL(location).searchParams.get('RelayState')).to.equal('/after');
    expect(await alive(first.cookie)).to.equal(false);
    expect(await alive(second.cookie)).to.equal(false);
    expect(await alive(bobCookie), 'another person stays').to.equal(true);
  });

  it('ends only the sessions whose SessionIndex the LogoutRequest names, on the POST binding too', async () => {
    const first = await login();
    const second = await login();
    const xml = logoutRequestXml({ id: '_idp-logout-2', nameId: 'alice@acme.com', sessionIndexes: [first.sessionIndex], destination: callback });
    const { xml: answer } = answerOf(await postMessage('SAMLRequest', postBindingValue(xml, '_idp-logout-2', idpKey).value, 'text/html'));
    expect(answer).to.contain('InResponseTo="_idp-logout-2"').and.to.contain('status:Success');
    expect(await alive(first.cookie)).to.equal(false);
    expect(await alive(second.cookie)).to.equal(true);
  });

  it('signs its LogoutResponse when the connection signs its messages', async () => {
    await stack.core.put(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml`, {
      idpEntityId: IDP,
      ssoUrl: 'http://localhost:7000/saml/sso',
      sloUrl: 'http://localhost:7000/saml/slo',
      certificate: stack.idp.credential.certificatePem,
      signAuthnRequests: true,
    });
    const { location } = answerOf(await redirectRequest(logoutRequestXml({ id: '_idp-logout-3', nameId: 'alice@acme.com', destination: callback })));
    const metadata = (await stack.request('GET', `/saml/${stack.connection.id}/metadata`)).text;
    const certificate = /<ds:X509Certificate>([^<]+)</.exec(metadata)![1]!;
    const query = location.slice(location.indexOf('?') + 1);
    const signed = query.slice(0, query.indexOf('&Signature='));
    const signature = decodeURIComponent(query.slice(query.indexOf('&Signature=') + '&Signature='.length));
    const pem = `-----BEGIN CERTIFICATE-----\n${certificate}\n-----END CERTIFICATE-----`;
    expect(createVerify('RSA-SHA256').update(signed).verify(pem, signature, 'base64'), 'verifies with the certificate of the SP metadata').to.equal(true);
  });

  it('refuses LogoutRequests it cannot trust, each with its code, and ends no session', async () => {
    const { cookie } = await login();
    const stranger = { credential: await generateCredential('not the IdP', new Date()), algorithm: 'rsa-sha256' as const };
    const request = (o: Partial<Parameters<typeof logoutRequestXml>[0]> = {}) =>
      logoutRequestXml({ id: '_idp-logout-bad', nameId: 'alice@acme.com', destination: callback, ...o });
    const unsignedRedirect = local(redirectBindingUrl(callback, 'SAMLRequest', request(), undefined, idpKey)).replace(/&SigAlg=[^&]+&Signature=[^&]+$/, '');
    const cases: [string, () => Promise<Reply>, number, string][] = [
      ['unsigned (Redirect)', () => stack.request('GET', unsignedRedirect), 401, 'slo-request-unsigned'],
      ['unsigned (POST)', () => postMessage('SAMLRequest', Buffer.from(request()).toString('base64')), 401, 'slo-request-unsigned'],
      ['signed by another key (Redirect)', () => redirectRequest(request(), stranger, undefined, 'application/json'), 401, 'slo-request-invalid'],
      [
        'signed by another key (POST)',
        () => postMessage('SAMLRequest', postBindingValue(request(), '_idp-logout-bad', stranger).value),
        401,
        'slo-request-invalid',
      ],
      [
        'from another issuer',
        () => redirectRequest(request({ issuer: 'https://evil.example/idp' }), idpKey, undefined, 'application/json'),
        401,
        'slo-request-invalid',
      ],
      [
        'for another SP',
        () => redirectRequest(request({ destination: 'https://sp.example/slo' }), idpKey, undefined, 'application/json'),
        401,
        'slo-request-invalid',
      ],
      ['with a DOCTYPE', () => postMessage('SAMLRequest', Buffer.from(`<!DOCTYPE x []>${request()}`).toString('base64')), 401, 'slo-request-invalid'],
      ['not XML', () => postMessage('SAMLRequest', Buffer.from('<<<').toString('base64')), 401, 'slo-request-invalid'],
      ['not base64', () => postMessage('SAMLRequest', '%%%'), 401, 'slo-request-invalid'],
      [
        'signed with rsa-sha1',
        () =>
          stack.request(
            'GET',
            local(redirectBindingUrl(callback, 'SAMLRequest', request(), undefined, idpKey)).replace(
              /SigAlg=[^&]+/,
              'SigAlg=http%3A%2F%2Fwww.w3.org%2F2000%2F09%2Fxmldsig%23rsa-sha1',
            ),
          ),
        401,
        'slo-request-invalid',
      ],
      ['empty', () => postMessage('SAMLRequest', ''), 400, 'slo-message-missing'],
    ];
    for (const [what, send, status, code] of cases) {
      const reply = await send();
      expect(reply.status, `${what}: ${reply.text}`).to.equal(status);
      expect(reply.body.error.code, what).to.equal(code);
    }
    expect(await alive(cookie), 'no refused request ended the session').to.equal(true);
  });

  it('takes the IdP’s LogoutResponse on the POST binding, once, and refuses a failed or foreign one', async () => {
    const { cookie } = await login();
    const out = await stack.request('POST', '/logout', {}, { cookie });
    const requestId = /ID="([^"]+)"/.exec(redirectXml(out.body.singleLogout, 'SAMLRequest'))![1]!;
    const response = (o: { inResponseTo?: string; status?: string; issuer?: string } = {}) => {
      const xml = buildLogoutResponse({
        id: '_idp-answer',
        issuer: o.issuer ?? IDP,
        issueInstant: new Date('2026-11-23T09:00:00Z'),
        destination: callback,
        inResponseTo: o.inResponseTo ?? requestId,
        statusCode: o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success',
      });
      return postBindingValue(xml, '_idp-answer', idpKey).value;
    };
    const failed = await postMessage('SAMLResponse', response({ status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }));
    expect(failed.body.error.code).to.equal('slo-response-invalid');
    const foreign = await postMessage('SAMLResponse', response({ issuer: 'https://evil.example/idp' }));
    expect(foreign.body.error.code).to.equal('slo-response-invalid');
    const unknown = await postMessage('SAMLResponse', response({ inResponseTo: '_never-sent' }));
    expect(unknown.body.error.code).to.equal('slo-response-invalid');
    const unsigned = await postMessage(
      'SAMLResponse',
      Buffer.from(
        Buffer.from(response(), 'base64')
          .toString()
          .replace(/<Signature[\s\S]*<\/Signature>/, ''),
      ).toString('base64'),
    );
    expect(unsigned.body.error.code).to.equal('slo-response-unsigned');
    const done = await postMessage('SAMLResponse', response());
    expect(done.status, done.text).to.equal(303);
    expect(done.headers.get('location')).to.equal('/login?reason=logged-out');
    const again = await postMessage('SAMLResponse', response());
    expect(again.body.error.code, 'answered once').to.equal('slo-response-invalid');
  });
});
