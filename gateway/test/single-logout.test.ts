import { expect } from 'chai';
import { browserLogin, localPath, startStack, type Stack } from './support/stack.ts';

describe('gateway: logout with single logout at an SLO-capable IdP', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack({ singleLogout: true })));
  afterEach(() => stack.close());

  const local = localPath;

  it('ends the gateway session, sends a LogoutRequest, and accepts the IdP’s signed LogoutResponse', async () => {
    const cookies = await browserLogin(stack);
    expect((await stack.idp.request('GET', '/api/sessions')).body.sessions).to.have.length(1);
    const out = await stack.request('POST', '/logout', {}, { cookie: cookies.gateway });
    expect(out.body.loggedOut).to.equal(true);
    expect(out.body.singleLogout).to.match(/^http:\/\/localhost:7000\/saml\/slo\?SAMLRequest=/);
    expect((await stack.request('GET', '/me', undefined, { cookie: cookies.gateway })).status).to.equal(401);

    const atIdp = await stack.idp.request('GET', local(out.body.singleLogout), undefined, { cookie: cookies.idp });
    expect(atIdp.status, atIdp.text).to.equal(303);
    expect((await stack.idp.request('GET', '/api/sessions')).body.sessions, 'the IdP session ended').to.deep.equal([]);
    const callback = atIdp.headers.get('location')!;
    expect(callback).to.match(/^http:\/\/localhost:8000\/logout\/callback\?connection=saml-/);
    const done = await stack.request('GET', local(callback));
    expect(done.status, done.text).to.equal(303);
    expect(done.headers.get('location')).to.equal('/login?reason=logged-out');

    // Tampered or unsigned answers are refused.
    const tampered = await stack.request('GET', local(callback).replace(/Signature=[^&]+/, 'Signature=AAAA'));
    expect(tampered.body.error.code).to.equal('slo-response-invalid');
    const unsigned = await stack.request('GET', local(callback).replace(/&SigAlg=[^&]+&Signature=[^&]+/, ''));
    expect(unsigned.body.error.code).to.equal('slo-response-unsigned');
  });

  it('logs out locally only when the session was not an SSO one', async () => {
    const out = await stack.request('POST', '/logout', {});
    expect(out.body).to.deep.equal({ loggedOut: true, singleLogout: null });
  });
});
