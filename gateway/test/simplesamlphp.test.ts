import { expect } from 'chai';
import { Browser, formOf, simpleSamlPhpMissing, startSimpleSamlPhp, type SimpleSamlPhp } from './support/simplesamlphp.ts';
import { sessionCookie, startStack, type Stack } from './support/stack.ts';
import { startIdp, type TestIdp } from '../../mock-idp/test/support/idp.ts';

const skipUnlessReady = function (this: Mocha.Context) {
  const missing = simpleSamlPhpMissing();
  if (!missing) return;
  if (process.env.CI === 'true') throw new Error(`SimpleSAMLphp suite: ${missing}; CI must run it`);
  console.log(`    skipped: SimpleSAMLphp suite: ${missing}`);
  this.skip();
};

describe('interop: SimpleSAMLphp as the IdP in front of the gateway', function () {
  this.timeout(60_000);
  let stack: Stack;
  let ssp: SimpleSamlPhp;
  let browser: Browser;
  before(skipUnlessReady);
  beforeEach(async () => {
    stack = await startStack({ singleLogout: true, allowIdpInitiated: true });
    const slo = stack.connection.acsUrl.replace('/login/callback', '/logout/callback');
    ssp = await startSimpleSamlPhp({ sp: { entityId: stack.connection.spEntityId, url: stack.connection.acsUrl, slo } });
    // The admin points the connection at SimpleSAMLphp from its metadata (core's import).
    const imported = await stack.core.post(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml/metadata`, {
      url: ssp.idpMetadataUrl,
      allowIdpInitiated: true,
    });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
    browser = new Browser({ 'http://localhost:8000': stack.url });
    // SimpleSAMLphp stamps its messages with the machine's time: the gateway's clock is set to it (and stays frozen).
    stack.clock.freeze(new Date());
  });
  afterEach(async () => {
    await ssp?.close();
    await stack?.close();
  });

  /** alice logs in at SimpleSAMLphp's form; the auto-posted Response goes back to the gateway from the same browser. */
  async function loginAtSsp(from: string) {
    const { response: page, url } = await browser.follow(from);
    const login = formOf(await page.text(), url);
    const posted = await browser.post(login.action, { ...login.fields, username: 'alice', password: 'alice-pass' });
    const html = await (
      posted.status === 200 ? posted : (await browser.follow(new URL(posted.headers.get('location')!, login.action).toString())).response
    ).text();
    const answer = formOf(html, url);
    expect(answer.action).to.equal(stack.connection.acsUrl);
    return browser.post(answer.action, answer.fields);
  }

  it('SP-initiated login: SimpleSAMLphp authenticates alice, the gateway takes its signed assertion and her names', async () => {
    const link = await browser.get(`${stack.url}/login?email=alice%40acme.com&relayState=%2Fjira`);
    const location = link.headers.get('location')!;
    expect(location.startsWith(`${ssp.url}/saml2/idp/SSOService.php?SAMLRequest=`)).to.equal(true);
    const back = await loginAtSsp(location);
    expect(back.status, await back.clone().text()).to.equal(303);
    expect(back.headers.get('location')).to.equal('/jira');
    const me = await stack.request('GET', '/me', undefined, { cookie: sessionCookie(back as never)! });
    expect(me.body).to.include({ email: 'alice@acme.com', method: 'sso' });
    expect((await stack.core.get('/api/accounts?email=alice@acme.com')).body[0].displayName).to.equal('Ada Lovelace');
  });

  it('IdP-initiated login, where the connection allows it', async () => {
    const back = await loginAtSsp(`${ssp.url}/saml2/idp/SSOService.php?spentityid=${encodeURIComponent(stack.connection.spEntityId)}`);
    expect(back.status, await back.clone().text()).to.equal(303);
  });

  /** Follows the browser through SimpleSAMLphp until it is sent back to the gateway; that URL, at the gateway's real port. */
  const throughSspToGateway = async (url: string) => {
    const { url: at } = await browser.follow(url, (next) => next.startsWith('http://localhost:8000/'));
    expect(at.startsWith('http://localhost:8000/logout/callback'), at).to.equal(true);
    return at;
  };
  const loggedIn = async () => {
    const link = await browser.get(`${stack.url}/login?email=alice%40acme.com`);
    const back = await loginAtSsp(link.headers.get('location')!);
    expect(back.status).to.equal(303);
    return sessionCookie(back as never)!;
  };
  const alive = async (cookie: string) => (await stack.request('GET', '/me', undefined, { cookie })).status === 200;

  it('gateway-initiated logout: SimpleSAMLphp ends its session and its signed LogoutResponse is taken', async () => {
    const cookie = await loggedIn();
    const out = await stack.request('POST', '/logout', {}, { cookie });
    expect(out.body.singleLogout.startsWith(`${ssp.url}/saml2/idp/SingleLogoutService.php?SAMLRequest=`)).to.equal(true);
    const callback = await throughSspToGateway(out.body.singleLogout);
    expect(callback).to.contain('SAMLResponse=').and.to.contain('&Signature=');
    const done = await browser.get(callback);
    expect(done.status, await done.clone().text()).to.equal(303);
    expect(done.headers.get('location')).to.equal('/login?reason=logged-out');
    expect(await alive(cookie)).to.equal(false);
  });

  it('IdP-initiated logout at SimpleSAMLphp: its LogoutRequest ends the gateway session, and the gateway answers it', async () => {
    const cookie = await loggedIn();
    const request = await throughSspToGateway(
      `${ssp.url}/saml2/idp/SingleLogoutService.php?ReturnTo=${encodeURIComponent(`${ssp.url}/saml2/idp/metadata.php`)}`,
    );
    expect(request).to.contain('SAMLRequest=');
    const answered = await browser.get(request);
    expect(answered.status, await answered.clone().text()).to.equal(303);
    expect(await alive(cookie), 'the gateway session ended').to.equal(false);
    const back = answered.headers.get('location')!;
    expect(back.startsWith(`${ssp.url}/saml2/idp/SingleLogoutService.php?SAMLResponse=`)).to.equal(true);
    const { url: returned } = await browser.follow(back);
    expect(returned, 'SimpleSAMLphp took the LogoutResponse and returned to ReturnTo').to.equal(`${ssp.url}/saml2/idp/metadata.php`);
  });
});

describe('interop: SimpleSAMLphp as an SP of the mock IdP', function () {
  this.timeout(60_000);
  let idp: TestIdp;
  let ssp: SimpleSamlPhp;
  let browser: Browser;
  before(skipUnlessReady);
  beforeEach(async () => {
    idp = await startIdp({ frozen: false });
    ssp = await startSimpleSamlPhp({
      idp: {
        entityId: 'http://localhost:7000/saml/metadata',
        url: 'http://localhost:7000/saml/sso',
        slo: 'http://localhost:7000/saml/slo',
        certificate: idp.credential.certificateBase64,
      },
    });
    // The mock IdP learns SimpleSAMLphp's SP from its metadata, as an admin would register it.
    const imported = await idp.request('POST', '/api/service-providers/import', { url: ssp.spMetadataUrl });
    expect(imported.status, imported.text).to.equal(201);
    expect(imported.body.sloUrl).to.be.a('string');
    browser = new Browser({ 'http://localhost:7000': idp.url });
  });
  afterEach(async () => {
    await ssp?.close();
    await idp?.close();
  });

  const protectedPage = () => `${ssp.url}/module.php/core/authenticate.php?as=default-sp`;

  /** SP-initiated at SimpleSAMLphp: its AuthnRequest, the mock IdP's login form, the Response posted back. */
  async function login(): Promise<string> {
    const { response: page, url } = await browser.follow(protectedPage());
    expect(url.startsWith('http://localhost:7000/login/'), url).to.equal(true);
    const form = formOf(await page.text(), url);
    const answered = await browser.post(form.action, { username: 'alice@acme.com', password: 'alice-pass' });
    expect(answered.status).to.equal(200);
    const toSp = formOf(await answered.text(), form.action);
    expect(toSp.action.startsWith(`${ssp.url}/module.php/saml/sp/saml2-acs.php/default-sp`)).to.equal(true);
    const acs = await browser.post(toSp.action, toSp.fields);
    expect(acs.status, await acs.clone().text()).to.be.oneOf([302, 303]);
    const { response: landed } = await browser.follow(new URL(acs.headers.get('location')!, toSp.action).toString());
    return landed.text();
  }

  it('SP-initiated login: SimpleSAMLphp takes the signed response and reads the attributes', async () => {
    const page = await login();
    expect(page).to.contain('alice@acme.com').and.to.contain('Alice').and.to.contain('Liddell');
    expect((await idp.request('GET', '/api/sessions')).body.sessions[0].serviceProviders).to.deep.equal([ssp.spEntityId]);
  });

  it('IdP-initiated login: the mock IdP sends SimpleSAMLphp an unsolicited response, with the RelayState it lands on', async () => {
    const { response: page, url } = await browser.follow(
      `http://localhost:7000/saml/idp-initiated?sp=${encodeURIComponent(ssp.spEntityId)}&RelayState=${encodeURIComponent(`${ssp.url}/module.php/core/authenticate.php?as=default-sp`)}`,
    );
    const form = formOf(await page.text(), url);
    const answered = formOf(await (await browser.post(form.action, { username: 'alice@acme.com', password: 'alice-pass' })).text(), form.action);
    expect(answered.fields.SAMLResponse).to.be.a('string');
    expect(Buffer.from(answered.fields.SAMLResponse!, 'base64').toString()).not.to.contain('InResponseTo=');
    const acs = await browser.post(answered.action, answered.fields);
    expect(acs.status, await acs.clone().text()).to.be.oneOf([302, 303]);
    const { response: landed } = await browser.follow(new URL(acs.headers.get('location')!, answered.action).toString());
    expect(await landed.text()).to.contain('alice@acme.com');
  });

  it('logout both ways: SimpleSAMLphp’s LogoutRequest ends the IdP session; the IdP’s own logout reaches SimpleSAMLphp and comes back complete', async () => {
    await login();
    // SP-initiated, from SimpleSAMLphp.
    const { url: after } = await browser.follow(`${protectedPage()}&logout`);
    expect(after.startsWith(ssp.url), after).to.equal(true);
    expect((await idp.request('GET', '/api/sessions')).body.sessions).to.deep.equal([]);
    const received = (await idp.request('GET', '/api/ledger?message=LogoutRequest')).body.entries as { direction: string; sp: string; outcome: string }[];
    expect(received).to.deep.include.members([{ ...received[0]!, direction: 'received', sp: ssp.spEntityId, outcome: 'accepted' }]);

    // IdP-initiated, from the mock IdP's API: the browser carries its LogoutRequest to SimpleSAMLphp and the answer back.
    await login();
    const started = await idp.request('POST', '/api/logout', { user: 'alice@acme.com' });
    expect(started.body.next.startsWith(`${ssp.url}/module.php/saml/sp/saml2-logout.php/default-sp?SAMLRequest=`)).to.equal(true);
    await browser.follow(started.body.next);
    const outcome = (await idp.request('GET', `/api/logouts/${started.body.logout.id}`)).body;
    expect(outcome.status).to.equal('complete');
    expect(outcome.steps).to.deep.equal([{ sp: ssp.spEntityId, outcome: 'logged-out', requestId: outcome.steps[0].requestId }]);
  });
});
