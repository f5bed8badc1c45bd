import { expect } from 'chai';
import { deflateRawSync } from 'node:zlib';
import { authnRequestXml, formFields, redirectParam } from '../../mock-idp/test/support/idp.ts';
import { browserLogin, localPath, startStack, type Stack } from './support/stack.ts';
import { redirectXml } from './support/schemas.ts';

const OTHER_SP = 'https://wiki.example.test/saml';
const OTHER_SLO = 'https://wiki.example.test/slo';
const local = localPath;

/**
 * The mock IdP's single logout across its SPs, with the gateway as a real
 * participant (it answers the IdP's LogoutRequests since issue 16) and a
 * second SP whose answers the test writes.
 */
describe('mock IdP: single logout propagated to every SP of the session', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ singleLogout: true });
    const registered = await stack.idp.request('POST', '/api/service-providers', {
      entityId: OTHER_SP,
      acsUrls: ['https://wiki.example.test/acs'],
      sloUrl: OTHER_SLO,
    });
    expect(registered.status, registered.text).to.equal(201);
  });
  afterEach(() => stack.close());

  /** Alice logs in at the IdP's page for the gateway (an IdP session), then silently at the other SP too. */
  async function loginEverywhere() {
    const { gateway, idp: idpCookie } = await browserLogin(stack);
    const other = await stack.idp.request(
      'GET',
      `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_other-login', issuer: OTHER_SP }))}`,
      undefined,
      {
        cookie: idpCookie,
      },
    );
    expect(formFields(other.text).samlResponse, 'a silent login at the other SP').to.be.a('string');
    const sessions = (await stack.idp.request('GET', '/api/sessions')).body.sessions;
    expect(sessions[0].serviceProviders).to.have.members([stack.connection.spEntityId, OTHER_SP]);
    return { gateway, idp: idpCookie };
  }
  /** Follows a logout through every participant as a browser would: the gateway answers itself, the other SP as `status` says. */
  async function walk(first: string, status = 'Success') {
    const steps: string[] = [];
    let next: string | null = first;
    let finished: { status: string; steps: { sp: string; outcome: string }[] } | undefined;
    while (next) {
      steps.push(new URL(next).origin + new URL(next).pathname);
      const request = redirectXml(next, 'SAMLRequest');
      expect(request).to.contain('>alice@acme.com</NameID>').and.to.contain('<samlp:SessionIndex>');
      expect(next).to.contain('&Signature=');
      let answer: string;
      if (next.startsWith('http://localhost:8000/')) {
        const reply = await stack.request('GET', local(next), undefined, { accept: 'text/html' });
        expect(reply.status, reply.text).to.equal(303);
        answer = local(reply.headers.get('location')!);
      } else {
        answer = otherAnswers(/ID="([^"]+)"/.exec(request)![1]!, status);
      }
      const atIdp = await stack.idp.request('GET', answer, undefined, { accept: 'application/json' });
      if (atIdp.status === 303) next = atIdp.headers.get('location');
      else {
        expect(atIdp.status, atIdp.text).to.equal(200);
        finished = atIdp.body.logout;
        next = null;
      }
    }
    return { steps, finished };
  }
  const gatewayAlive = async (cookie: string) => (await stack.request('GET', '/me', undefined, { cookie })).status === 200;
  /** What the other SP answers, unsigned on the Redirect binding (it registered no certificate). */
  const otherAnswers = (inResponseTo: string, status: string) => {
    const xml = `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_other-answer" Version="2.0" IssueInstant="2026-11-23T09:00:00Z" InResponseTo="${inResponseTo}" Destination="http://localhost:7000/saml/slo"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">${OTHER_SP}</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${status}"/></samlp:Status></samlp:LogoutResponse>`;
    return `/saml/slo?SAMLResponse=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
  };

  it('IdP-initiated (API): tells each SP in turn, the gateway ends its session, and the outcome says who logged out', async () => {
    const cookies = await loginEverywhere();
    const started = await stack.idp.request('POST', '/api/logout', { user: 'alice@acme.com' });
    expect(started.status, started.text).to.equal(200);
    expect(started.body.logout.status).to.equal('in-progress');
    expect((await stack.idp.request('GET', '/api/sessions')).body.sessions, 'the IdP session ended at once').to.deep.equal([]);

    // The browser goes to each participant in turn with a signed LogoutRequest naming alice and her session.
    const { steps, finished } = await walk(started.body.next);
    expect(steps).to.have.members(['http://localhost:8000/logout/callback', OTHER_SLO]);
    expect(finished!.status).to.equal('complete');
    expect(finished!.steps.map((s) => s.outcome)).to.deep.equal(['logged-out', 'logged-out']);
    expect(await gatewayAlive(cookies.gateway)).to.equal(false);
    expect((await stack.idp.request('GET', `/api/logouts/${started.body.logout.id}`)).body.status).to.equal('complete');
    const ledger = (await stack.idp.request('GET', '/api/ledger')).body.entries as { direction: string; message: string; sp: string; outcome: string }[];
    const logoutSteps = ledger.filter((e) => e.message.startsWith('Logout')).map((e) => [e.direction, e.message, e.outcome]);
    expect(logoutSteps).to.deep.include.members([
      ['sent', 'LogoutRequest', 'sent'],
      ['received', 'LogoutResponse', 'accepted'],
    ]);
    expect(logoutSteps).to.have.length(4);
  });

  it('SP-initiated at the gateway: the other SP is told first, and a failure there answers the gateway PartialLogout', async () => {
    const cookies = await loginEverywhere();
    const out = await stack.request('POST', '/logout', {}, { cookie: cookies.gateway });
    const atIdp = await stack.idp.request('GET', local(out.body.singleLogout), undefined, { cookie: cookies.idp });
    expect(atIdp.status, atIdp.text).to.equal(303);
    const toOther = atIdp.headers.get('location')!;
    expect(toOther.startsWith(`${OTHER_SLO}?SAMLRequest=`)).to.equal(true);
    const request = redirectXml(toOther, 'SAMLRequest');
    const failed = await stack.idp.request('GET', otherAnswers(/ID="([^"]+)"/.exec(request)![1]!, 'Responder'));
    expect(failed.status, failed.text).to.equal(303);
    const toGateway = failed.headers.get('location')!;
    const response = redirectXml(toGateway, 'SAMLResponse');
    expect(response).to.contain('status:Success').and.to.contain('status:PartialLogout');
    const done = await stack.request('GET', local(toGateway));
    expect(done.status, done.text).to.equal(303);
    expect(done.headers.get('location')).to.equal('/login?reason=logged-out');
    const ledger = (await stack.idp.request('GET', '/api/ledger?message=LogoutResponse')).body.entries as { direction: string; outcome: string }[];
    expect(ledger.map((e) => [e.direction, e.outcome])).to.deep.include(['sent', 'partial-logout']);
  });

  it('the logout page ends the browser’s session (CSRF-checked) and lists the SPs it tells', async () => {
    const cookies = await loginEverywhere();
    const page = await stack.idp.request('GET', '/logout', undefined, { cookie: cookies.idp });
    expect(page.text).to.contain('alice@acme.com').and.to.contain(OTHER_SP);
    const csrfCookie = page.headers
      .getSetCookie()
      .find((c) => c.startsWith('rehearsal_idp_csrf='))!
      .split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const forged = await stack.idp.request('POST', '/logout', 'csrf=forged', { cookie: `${cookies.idp}; ${csrfCookie}` });
    expect(forged.status).to.equal(403);
    expect((await stack.idp.request('GET', '/api/sessions')).body.sessions).to.have.length(1);
    const out = await stack.idp.request('POST', '/logout', `csrf=${encodeURIComponent(csrf)}`, { cookie: `${cookies.idp}; ${csrfCookie}` });
    expect(out.status, out.text).to.equal(303);
    expect((await stack.idp.request('GET', '/api/sessions')).body.sessions).to.deep.equal([]);
  });

  it('reports a participant without an SLO endpoint: the logout is partial', async () => {
    const cookies = await loginEverywhere();
    await stack.idp.request('POST', '/api/service-providers', { entityId: 'https://legacy.example.test/saml', acsUrls: ['https://legacy.example.test/acs'] });
    await stack.idp.request(
      'GET',
      `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_legacy', issuer: 'https://legacy.example.test/saml' }))}`,
      undefined,
      {
        cookie: cookies.idp,
      },
    );
    const started = await stack.idp.request('POST', '/api/logout', { user: 'alice@acme.com' });
    await walk(started.body.next);
    const outcome = (await stack.idp.request('GET', `/api/logouts/${started.body.logout.id}`)).body;
    expect(outcome.status).to.equal('partial');
    expect(outcome.steps).to.deep.include({ sp: 'https://legacy.example.test/saml', outcome: 'no-slo-endpoint' });
  });

  it('refuses to log out nobody, and a LogoutResponse nobody waits for', async () => {
    const none = await stack.idp.request('POST', '/api/logout', { user: 'alice@acme.com' });
    expect(none.status).to.equal(404);
    expect(none.body.error.code).to.equal('session-not-found');
    const stray = await stack.idp.request('GET', otherAnswers('_never-sent', 'Success'), undefined, { accept: 'application/json' });
    expect(stray.status).to.equal(404);
    expect(stray.body.error.code).to.equal('logout-not-found');
    expect((await stack.idp.request('POST', '/api/logout', { user: 'nobody@acme.com' })).body.error.code).to.equal('user-not-found');
    expect((await stack.idp.request('POST', '/api/logout', { user: 'alice@acme.com', extra: 1 })).status).to.equal(400);
  });
});
