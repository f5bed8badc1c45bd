import { expect } from 'chai';
import { browserCookie, postResponse, sessionCookie, startStack, type Stack } from './support/stack.ts';

/**
 * A pending AuthnRequest belongs to the browser that started it, and only an
 * accepted response answers it (reference/security.md: login CSRF, and a
 * request ID seen in a redirect URL used to spoil the genuine answer).
 */
describe('gateway: each pending AuthnRequest, bound to its browser and answered once', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack()));
  afterEach(() => stack.close());

  /** Starts a login in a browser (with its cookie, if it has one) and has the mock IdP answer it. */
  const started = async (cookie?: string) => {
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' }, cookie ? { cookie } : {});
    const issued = await stack.idp.request('POST', '/api/login', {
      sp: stack.connection.spEntityId,
      user: 'alice@acme.com',
      authnRequest: start.headers.get('location'),
    });
    return { browser: browserCookie(start)!, samlResponse: issued.body.samlResponse as string };
  };

  it('binds the AuthnRequest to an HttpOnly cookie, which a browser keeps across its logins', async () => {
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    const set = start.headers.getSetCookie().find((c) => c.startsWith('rehearsal_gw_authn='))!;
    expect(set).to.match(/^rehearsal_gw_authn=[A-Za-z0-9_-]{43}; Path=\//);
    expect(set).to.contain('HttpOnly');
    const again = await stack.request('POST', '/login', { email: 'alice@acme.com' }, { cookie: set.split(';')[0]! });
    expect(browserCookie(again)).to.equal(set.split(';')[0]);
    // A cookie the gateway did not make is replaced, never adopted.
    const forged = await stack.request('POST', '/login', { email: 'alice@acme.com' }, { cookie: 'rehearsal_gw_authn=chosen-by-attacker' });
    expect(browserCookie(forged)).to.match(/^rehearsal_gw_authn=[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a response posted from another browser (saml-response-other-browser), and still takes it from the one that started the login', async () => {
    const victim = await started();
    const attacker = await started();
    for (const cookie of [undefined, attacker.browser, 'rehearsal_gw_authn=', 'rehearsal_gw_authn=%ZZ']) {
      const refused = await postResponse(stack, victim.samlResponse, '/', cookie);
      expect(refused.status, String(cookie)).to.equal(401);
      expect(refused.body.error.code, String(cookie)).to.equal('saml-response-other-browser');
      expect(sessionCookie(refused)).to.equal(undefined);
    }
    const accepted = await postResponse(stack, victim.samlResponse, '/', victim.browser);
    expect(accepted.status, accepted.text).to.equal(303);
    expect(sessionCookie(accepted)).to.match(/^rehearsal_gw_session=/);
  });

  it('keeps the request for the genuine response when a forged one for the same request fails', async () => {
    const { browser, samlResponse } = await started();
    const forged = Buffer.from(Buffer.from(samlResponse, 'base64').toString().replace('>alice@acme.com<', '>mallory@acme.com<')).toString('base64');
    const refused = await postResponse(stack, forged, '/', browser);
    expect(refused.body.error.code).to.equal('saml-signature-invalid');
    const genuine = await postResponse(stack, samlResponse, '/', browser);
    expect(genuine.status, genuine.text).to.equal(303);
    // Answered now: the same response again finds no request.
    const again = await postResponse(stack, samlResponse, '/', browser);
    expect(again.body.error.code).to.equal('saml-in-response-to-unknown');
  });

  it('refuses a response stripped of InResponseTo on a connection made with the defaults (IdP-initiated login is opt-in)', async () => {
    expect((await stack.core.get(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml`)).body.allowIdpInitiated).to.equal(false);
    const { browser } = await started();
    const unsolicited = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user: 'alice@acme.com' });
    const refused = await postResponse(stack, unsolicited.body.samlResponse, '/', browser);
    expect(refused.status).to.equal(401);
    expect(refused.body.error.code).to.equal('saml-unsolicited-response');
  });
});
