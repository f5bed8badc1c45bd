import { generateKeyPairSync, verify } from 'node:crypto';
import { expect } from 'chai';
import { GATEWAY_KEY } from '../../core/test/support/core.ts';
import { ADMIN_KEY, NOW, browserCookie, postResponse, sessionCookie, ssoLogin, startStack, type Stack } from './support/stack.ts';

describe('gateway: SSO login through the mock IdP', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack()));
  afterEach(() => stack.close());

  const me = (cookie: string | undefined) => stack.request('GET', '/me', undefined, cookie ? { cookie } : {});

  it('logs a pilot user in: redirect to the IdP, signed response, session, back to the RelayState', async () => {
    const { start, callback } = await ssoLogin(stack, 'alice@acme.com', { relayState: '/trello/boards' });
    expect(start.status).to.equal(302);
    expect(start.headers.get('location')).to.match(/^http:\/\/localhost:7000\/saml\/sso\?SAMLRequest=/);
    expect(callback.status, callback.text).to.equal(303);
    expect(callback.headers.get('location')).to.equal('/trello/boards');
    const cookie = callback.headers.getSetCookie().find((c) => c.startsWith('rehearsal_gw_session='))!;
    expect(cookie)
      .to.match(/HttpOnly/i)
      .and.match(/SameSite=Lax/i)
      .and.not.match(/Secure/);
    const who = await me(sessionCookie(callback));
    expect(who.status).to.equal(200);
    expect(who.body).to.include({ email: 'alice@acme.com', method: 'sso', connectionId: stack.connection.id });
    // Core recorded the first login (it starts billing for SCIM-created Trello accounts).
    const accounts = (await stack.core.get('/api/accounts?email=alice@acme.com')).body;
    expect(JSON.stringify(accounts)).to.contain('"firstLoginAt":"2026-11-23T09:00:00.000Z"');
    // The IdP's given name and surname rewrote the display name (the mock IdP calls her Alice Liddell).
    await stack.idp.request('PATCH', '/api/users/alice@acme.com', { surname: 'Hargreaves' });
    await ssoLogin(stack, 'alice@acme.com');
    expect(JSON.stringify((await stack.core.get('/api/accounts?email=alice@acme.com')).body)).to.contain('"displayName":"Alice Hargreaves"');
  });

  it('never follows a RelayState to another host', async () => {
    for (const relay of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const refused = await stack.request('POST', '/login', { email: 'alice@acme.com', relayState: relay });
      expect(refused.status, relay).to.equal(400);
      expect(refused.body.error.code).to.equal('relay-state-not-relative');
    }
    // One forged at the IdP side lands on the gateway's home instead.
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    const issued = await stack.idp.request('POST', '/api/login', {
      sp: stack.connection.spEntityId,
      user: 'alice@acme.com',
      authnRequest: start.headers.get('location'),
      relayState: '//evil.example',
    });
    const landed = await postResponse(stack, issued.body.samlResponse, '//evil.example', browserCookie(start));
    expect(landed.headers.get('location')).to.equal('/');
  });

  /** Each fault the mock IdP injects, and the reason code the gateway refuses it with. */
  const refusals: [fault: unknown, code: string][] = [
    ['expired', 'saml-assertion-expired'],
    ['not-yet-valid', 'saml-assertion-not-yet-valid'],
    ['clock-skew:600', 'saml-assertion-not-yet-valid'],
    ['clock-skew:-600', 'saml-assertion-expired'],
    ['wrong-audience', 'saml-audience-mismatch'],
    ['wrong-recipient', 'saml-recipient-mismatch'],
    ['wrong-destination', 'saml-destination-mismatch'],
    ['wrong-issuer', 'saml-issuer-mismatch'],
    ['unsigned', 'saml-assertion-unsigned'],
    ['wrong-key', 'saml-signature-invalid'],
    ['rsa-sha1', 'saml-signature-algorithm'],
    ['missing-name-id', 'saml-name-id-missing'],
    ['name-id-not-email', 'authentication-policy-strategy-mismatch'],
    ['wrong-in-response-to', 'saml-in-response-to-unknown'],
    ['two-assertions', 'saml-assertion-count'],
    ['status-responder', 'saml-status-not-success'],
    ['status-authn-failed', 'saml-status-not-success'],
    ...(['xsw1', 'xsw2', 'xsw3', 'xsw4', 'xsw5', 'xsw6', 'xsw7', 'xsw8'] as const).map((v): [string, string] => [v, 'saml-assertion-count']),
  ];
  for (const [fault, code] of refusals) {
    it(`refuses ${JSON.stringify(fault)} with ${code}, and starts no session`, async () => {
      const { callback } = await ssoLogin(stack, 'alice@acme.com', { faults: [fault] });
      expect(callback.status, callback.text).to.be.oneOf([401, 403]);
      expect(callback.body.error.code).to.equal(code);
      expect(sessionCookie(callback)).to.equal(undefined);
    });
  }

  it('accepts a clock skew within three minutes', async () => {
    const { callback } = await ssoLogin(stack, 'alice@acme.com', { faults: ['clock-skew:150'] });
    expect(callback.status, callback.text).to.equal(303);
  });

  it('refuses crafted responses: DOCTYPE, oversized, not base64, a comment in the NameID, duplicate IDs', async () => {
    const crafted: [(xml: string) => string, string][] = [
      [(xml) => `<!DOCTYPE r [<!ENTITY x "y">]>${xml}`, 'saml-doctype'],
      [(xml) => xml.replace('>alice@acme.com</NameID>', '>alice@acme.com<!---->.evil.example</NameID>'), 'saml-name-id-malformed'],
      [
        (xml) => xml.replace(/<samlp:Response([^>]*) ID="[^"]+"/, (_m, a) => `<samlp:Response${a} ID="${/<Assertion[^>]* ID="([^"]+)"/.exec(xml)![1]}"`),
        'saml-duplicate-id',
      ],
      [(xml) => xml.replace('</samlp:Response>', `<!--${'x'.repeat(200 * 1024)}--></samlp:Response>`), 'saml-response-too-large'],
    ];
    for (const [tamper, code] of crafted) {
      const { callback } = await ssoLogin(stack, 'alice@acme.com', { tamper });
      expect(callback.body.error?.code, code).to.equal(code);
    }
    const garbage = await postResponse(stack, 'not base64 at all!');
    expect(garbage.body.error.code).to.equal('saml-response-malformed');
    const missing = await stack.request('POST', `/login/callback?connection=saml-${stack.connection.id}`, 'RelayState=%2F');
    expect(missing.body.error.code).to.equal('saml-response-missing');
    const unknown = await stack.request('POST', '/login/callback?connection=saml-nope', 'SAMLResponse=eA==');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal('connection-unknown');
  });

  it('consumes InResponseTo once: the same response posted again is refused', async () => {
    const { callback, samlResponse } = await ssoLogin(stack, 'alice@acme.com');
    expect(callback.status).to.equal(303);
    const again = await postResponse(stack, samlResponse!);
    expect(again.body.error.code).to.equal('saml-in-response-to-unknown');
    // The mock IdP's replay fault sends the previous response verbatim: refused the same way.
    const { callback: replayed } = await ssoLogin(stack, 'alice@acme.com', { faults: ['replay'] });
    expect(replayed.body.error.code).to.equal('saml-in-response-to-unknown');
  });

  it('expires an outstanding AuthnRequest after ten minutes on the clock', async () => {
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    const issued = await stack.idp.request('POST', '/api/login', {
      sp: stack.connection.spEntityId,
      user: 'alice@acme.com',
      authnRequest: start.headers.get('location'),
    });
    stack.clock.advance(10 * 60_000);
    await stack.idp.request('POST', '/_rehearsal/clock', { advance: '10m' });
    const late = await postResponse(stack, issued.body.samlResponse);
    // The assertion itself (5 minutes) expired too; either way, no login.
    expect(late.body.error.code).to.be.oneOf(['saml-assertion-expired', 'saml-in-response-to-unknown']);
  });

  it('refuses unsolicited responses unless the connection allows IdP-initiated login', async () => {
    const unsolicited = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user: 'alice@acme.com' });
    const refused = await postResponse(stack, unsolicited.body.samlResponse);
    expect(refused.body.error.code).to.equal('saml-unsolicited-response');
  });

  it('refuses a user the IdP vouches for but whose policy does not use this IdP (authentication-policy-strategy-mismatch)', async () => {
    // Bob is in the password policy: the IdP knows him, the gateway must not let him in through it.
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    const issued = await stack.idp.request('POST', '/api/login', {
      sp: stack.connection.spEntityId,
      user: 'bob@acme.com',
      authnRequest: start.headers.get('location'),
    });
    const refused = await postResponse(stack, issued.body.samlResponse, undefined, browserCookie(start));
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('authentication-policy-strategy-mismatch');
    expect(refused.body.error.message).to.contain('bob@acme.com');
  });

  it('sends members of a password policy to the password step, as it does unknown emails', async () => {
    const bob = await stack.request('POST', '/login', { email: 'bob@acme.com' });
    expect(bob.body).to.deep.equal({ step: 'password', message: 'Enter the password of this account.', ssoToo: false });
    expect((await stack.request('POST', '/login', { email: 'nobody@acme.com' })).body).to.deep.equal(bob.body);
    const bad = await stack.request('POST', '/login', { email: 'not-an-email' });
    expect(bad.status).to.equal(400);
  });

  it('protects the login form with a CSRF token', async () => {
    const noToken = await stack.request('POST', '/login', 'email=alice%40acme.com', { accept: 'text/html' });
    expect(noToken.status).to.equal(403);
    expect(noToken.text).to.contain('csrf-token-invalid');
    const form = await stack.request('GET', '/login', undefined, { accept: 'text/html' });
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const cookie = form.headers
      .getSetCookie()
      .find((c) => c.startsWith('rehearsal_gw_csrf='))!
      .split(';')[0]!;
    const forged = await stack.request('POST', '/login', `email=alice%40acme.com&csrf=${csrf}x`, { cookie, accept: 'text/html' });
    expect(forged.status).to.equal(403);
    const ok = await stack.request('POST', '/login', `email=alice%40acme.com&csrf=${csrf}`, { cookie, accept: 'text/html' });
    expect(ok.status).to.equal(302);
  });

  describe('sessions', () => {
    it('ends an idle session after the policy’s idle time, counted from the last request the server saw', async () => {
      await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}`, { idleMinutes: 60 });
      const { callback } = await ssoLogin(stack, 'alice@acme.com');
      const cookie = sessionCookie(callback);
      stack.clock.advance(59 * 60_000);
      expect((await me(cookie)).status, 'activity at 59 minutes').to.equal(200);
      stack.clock.advance(59 * 60_000);
      expect((await me(cookie)).status, 'idle 59 minutes again').to.equal(200);
      stack.clock.advance(60 * 60_000);
      const expired = await me(cookie);
      expect(expired.status).to.equal(401);
      expect(expired.body.error.code).to.equal('idle-timeout');
      const home = await stack.request('GET', '/', undefined, { cookie: cookie!, accept: 'text/html' });
      expect(home.headers.get('location')).to.match(/^\/login\?reason=session-unknown/);
    });

    it('ends a session at the policy’s absolute limit however active it is; limits apply from the next login', async () => {
      await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}`, { idleMinutes: 60, sessionExpiryMinutes: 120 });
      const { callback } = await ssoLogin(stack, 'alice@acme.com');
      const cookie = sessionCookie(callback);
      // A stricter policy now does not shorten the session already running.
      await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}`, { idleMinutes: 10 });
      for (let minutes = 0; minutes < 90; minutes += 30) {
        stack.clock.advance(30 * 60_000);
        expect((await me(cookie)).status, `${minutes + 30} minutes`).to.equal(200);
      }
      stack.clock.advance(30 * 60_000);
      const expired = await me(cookie);
      expect(expired.body.error.code).to.equal('session-expired');
      const home = await stack.request('GET', '/', undefined, { cookie: cookie!, accept: 'text/html' });
      expect(home.status).to.equal(303);
    });

    it('gives a new session id at login, so an id known before is worthless (fixation), and refuses forged cookies', async () => {
      const first = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
      const second = sessionCookie((await ssoLogin(stack, 'alice@acme.com', { cookie: first })).callback)!;
      expect(second).not.to.equal(first);
      expect((await me(first)).body.error.code).to.equal('session-unknown');
      expect((await me(second)).status).to.equal(200);
      const forged = second.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      expect((await me(forged)).body.error.code).to.equal('session-unknown');
      expect((await me(undefined)).body.error.code).to.equal('login-required');
    });

    it('logs out, and lets an admin revoke every session of an account', async () => {
      const a = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
      const b = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
      const forgedLogout = await stack.request('POST', '/logout', 'csrf=forged', { cookie: a, accept: 'text/html' });
      expect(forgedLogout.status, 'a cross-site form cannot log out').to.equal(403);
      const home = await stack.request('GET', '/', undefined, { cookie: a, accept: 'text/html' });
      const csrf = /name="csrf" value="([^"]+)"/.exec(home.text)![1]!;
      const loggedOut = await stack.request('POST', '/logout', `csrf=${csrf}`, { cookie: a, accept: 'text/html' });
      expect(loggedOut.headers.get('location')).to.equal('/login?reason=logged-out');
      expect((await me(a)).status).to.equal(401);
      expect((await stack.request('POST', '/api/sessions/revoke', { account: 'alice@acme.com' })).status).to.equal(401);
      const revoked = await stack.request('POST', '/api/sessions/revoke', { account: 'ALICE@acme.com' }, { authorization: `Bearer ${ADMIN_KEY}` });
      expect(revoked.body).to.deep.equal({ revoked: 1 });
      expect((await me(b)).status).to.equal(401);
      expect((await stack.request('POST', '/api/sessions/revoke', {}, { authorization: `Bearer ${ADMIN_KEY}` })).status).to.equal(400);
    });
  });
});

describe('gateway: signed AuthnRequests when the connection asks for them', function () {
  this.timeout(30_000);
  it('signs the HTTP-Redirect query with the SP key (rsa-sha256), and not otherwise', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const stack = await startStack({ signAuthnRequests: true, spPrivateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    try {
      const location = (await stack.request('POST', '/login', { email: 'alice@acme.com' })).headers.get('location')!;
      const query = location.slice(location.indexOf('?') + 1);
      const params = new URLSearchParams(query);
      expect(params.get('SigAlg')).to.equal('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      // SAML bindings §3.4.4.1: the signature covers SAMLRequest, RelayState and SigAlg as sent.
      const signed = query.slice(0, query.indexOf('&Signature='));
      expect(verify('sha256', Buffer.from(signed), publicKey, Buffer.from(params.get('Signature')!, 'base64'))).to.equal(true);
    } finally {
      await stack.close();
    }
    const unsigned = await startStack();
    try {
      expect((await unsigned.request('POST', '/login', { email: 'alice@acme.com' })).headers.get('location')).not.to.contain('Signature=');
    } finally {
      await unsigned.close();
    }
  });

  it("publishes the SP certificate in the connection's metadata, which an IdP imports to verify the requests", async () => {
    const stack = await startStack({ signAuthnRequests: true });
    try {
      const metadata = await stack.request('GET', `/saml/${stack.connection.id}/metadata`, undefined, { accept: 'application/samlmetadata+xml' });
      expect(metadata.status).to.equal(200);
      expect(metadata.text)
        .to.match(/AuthnRequestsSigned="true"/)
        .and.match(/<KeyDescriptor use="signing">/);
      // The mock IdP learns the SP from this metadata alone, then insists on signed requests and checks them with that certificate.
      await stack.idp.request('DELETE', `/api/service-providers/${encodeURIComponent(stack.connection.spEntityId)}`);
      const imported = await stack.idp.request('POST', '/api/service-providers/import', { xml: metadata.text });
      expect(imported.status).to.equal(201);
      expect(imported.body).to.include({ wantAuthnRequestsSigned: true });
      const login = await ssoLogin(stack, 'alice@acme.com');
      expect(login.callback.status).to.equal(303);
    } finally {
      await stack.close();
    }
  });
});

describe("gateway: display names from SAML, by the connection's rule (issue 14.7)", function () {
  this.timeout(30_000);
  const nameAfterLogin = async (rule: string) => {
    const stack = await startStack({ displayNameFromSaml: rule });
    try {
      await stack.idp.request('PATCH', '/api/users/alice@acme.com', { givenName: 'Yoko', surname: 'Ono' });
      expect((await ssoLogin(stack, 'alice@acme.com')).callback.status).to.equal(303);
      const saml = (await stack.core.get(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml`)).body;
      expect(saml.lastLoginAt, 'the connection is seen to work').to.equal(NOW.toISOString());
      return (await stack.core.get('/api/accounts?email=alice@acme.com')).body[0].displayName as string;
    } finally {
      await stack.close();
    }
  };

  it('given-family (the default, as the product does): the names rewrite the display name at each login', async () => {
    expect(await nameAfterLogin('given-family')).to.equal('Yoko Ono');
  });
  it('family-given: for people who write their family name first', async () => {
    expect(await nameAfterLogin('family-given')).to.equal('Ono Yoko');
  });
  it('off: the display name stays as SCIM or an admin set it', async () => {
    expect(await nameAfterLogin('off')).not.to.contain('Ono');
  });
});

describe('gateway: IdP-initiated login when the connection allows it', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack({ allowIdpInitiated: true })));
  afterEach(() => stack.close());

  it('accepts an unsolicited response once, and refuses its replay by assertion ID', async () => {
    const issued = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user: 'alice@acme.com', relayState: '/jira' });
    const first = await postResponse(stack, issued.body.samlResponse, '/jira');
    expect(first.status, first.text).to.equal(303);
    expect(first.headers.get('location')).to.equal('/jira');
    const replay = await postResponse(stack, issued.body.samlResponse);
    expect(replay.body.error.code).to.equal('saml-assertion-replayed');
  });

  it('reads the connection through core with the gateway key', async () => {
    expect((await stack.core.get(`/api/login/connections/${stack.connection.id}`, { key: GATEWAY_KEY })).body.allowIdpInitiated).to.equal(true);
  });
});

describe('gateway: IdPs that sign only the Response', function () {
  this.timeout(30_000);
  const signOnlyTheResponse = (stack: Stack) =>
    stack.idp.request('PUT', `/api/service-providers/${encodeURIComponent(stack.connection.spEntityId)}`, {
      acsUrls: [stack.connection.acsUrl],
      signing: 'response',
    });

  it('are refused by a connection that wants assertions signed (the default): saml-assertion-unsigned', async () => {
    const stack = await startStack();
    try {
      await signOnlyTheResponse(stack);
      const { callback } = await ssoLogin(stack, 'alice@acme.com');
      expect(callback.status).to.equal(401);
      expect(callback.body.error.code).to.equal('saml-assertion-unsigned');
    } finally {
      await stack.close();
    }
  });

  it('log in through a connection with wantAssertionsSigned: false, whose Response signature still covers the assertion', async () => {
    const stack = await startStack({ wantAssertionsSigned: false });
    try {
      expect((await stack.core.get(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml`)).body.wantAssertionsSigned).to.equal(false);
      await signOnlyTheResponse(stack);
      const { callback } = await ssoLogin(stack, 'alice@acme.com');
      expect(callback.status, callback.text).to.equal(303);
      const altered = await ssoLogin(stack, 'alice@acme.com', { tamper: (xml) => xml.replace('>alice@acme.com</NameID>', '>carol@acme.com</NameID>') });
      expect(altered.callback.body.error.code).to.equal('saml-signature-invalid');
    } finally {
      await stack.close();
    }
  });
});
