import { expect } from 'chai';
import { browserCookie, postResponse, sessionCookie, startStack, type Reply, type Stack } from './support/stack.ts';

/** Follows an SP-initiated start as the browser would: the mock IdP answers the AuthnRequest, the browser posts it back. */
async function answer(stack: Stack, start: Reply, user = 'alice@acme.com') {
  expect(start.status, start.text).to.equal(302);
  const issued = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user, authnRequest: start.headers.get('location') });
  return postResponse(stack, issued.body.samlResponse, issued.body.relayState, browserCookie(start));
}

describe('gateway: URLs that start a login (bookmark apps, test tools)', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack()));
  afterEach(() => stack.close());

  const page = (path: string, cookie?: string) => stack.request('GET', path, undefined, { accept: 'text/html', ...(cookie ? { cookie } : {}) });

  it('GET /login?email=&relayState= takes the SSO step as the form does, and lands on the RelayState', async () => {
    const start = await page('/login?email=alice%40acme.com&relayState=%2Fjira');
    expect(start.headers.get('location')).to.match(/^http:\/\/localhost:7000\/saml\/sso\?SAMLRequest=/);
    const back = await answer(stack, start);
    expect(back.status, back.text).to.equal(303);
    expect(back.headers.get('location')).to.equal('/jira');
    expect(sessionCookie(back)).to.match(/^rehearsal_gw_session=/);
  });

  it('GET /login?email= for a password account shows the password page, whose form then logs in', async () => {
    const shown = await page('/login?email=bob%40acme.com');
    expect(shown.status).to.equal(200);
    expect(shown.text).to.contain('action="/login/password"').and.to.contain('value="bob@acme.com"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(shown.text)![1]!;
    const cookie = shown.headers
      .getSetCookie()
      .find((c) => c.startsWith('rehearsal_gw_csrf='))!
      .split(';')[0]!;
    const form = `email=bob%40acme.com&password=bob-long-passphrase-1&csrf=${encodeURIComponent(csrf)}`;
    const loggedIn = await stack.request('POST', '/login/password', form, { cookie, accept: 'application/json' });
    expect(loggedIn.body).to.include({ loggedIn: true, email: 'bob@acme.com' });
    // As JSON, the same link answers the step.
    expect((await stack.request('GET', '/login?email=bob%40acme.com')).body).to.include({ step: 'password' });
  });

  it('GET /saml/{connection}/login starts a login at that IdP without asking for an email', async () => {
    const start = await page(`/saml/${stack.connection.id}/login?relayState=%2Ftrello`);
    const back = await answer(stack, start);
    expect(back.status, back.text).to.equal(303);
    expect(back.headers.get('location')).to.equal('/trello');
    // The IdP says who; the person's policy still decides (bob's does not use this IdP).
    const bob = await answer(stack, await page(`/saml/${stack.connection.id}/login`), 'bob@acme.com');
    expect(bob.status).to.equal(403);
    expect(bob.body.error.code).to.equal('authentication-policy-strategy-mismatch');
  });

  const refusals: [string, number, string][] = [
    ['/login?email=not-an-email', 400, 'invalid-request'],
    ['/login?email=alice%40acme.com&relayState=%2F%2Fevil.example', 400, 'relay-state-not-relative'],
    ['/login?email=alice%40acme.com&relayState=https%3A%2F%2Fevil.example', 400, 'relay-state-not-relative'],
    ['/login?email=alice%40acme.com&admin=1', 400, 'invalid-request'],
    ['/login?email=alice%40acme.com&email=bob%40acme.com', 400, 'query-parameter-repeated'],
    ['/login?email=alice%40acme.com&method=magic', 400, 'invalid-request'],
    ['/saml/no-such-connection/login', 404, 'connection-unknown'],
    ['/saml/CONNECTION/login?relayState=%2F%2Fevil.example', 400, 'relay-state-not-relative'],
    ['/saml/CONNECTION/login?email=alice%40acme.com', 400, 'invalid-request'],
  ];
  for (const [path, status, code] of refusals)
    it(`refuses ${path} with ${status} ${code}, sending nobody to the IdP`, async () => {
      const refused = await stack.request('GET', path.replace('CONNECTION', stack.connection.id));
      expect(refused.status).to.equal(status);
      expect(refused.body.error.code).to.equal(code);
      expect(refused.headers.get('location')).to.equal(null);
      expect(browserCookie(refused)).to.equal(undefined);
    });
});
