import { expect } from 'chai';
import { SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { sessionCookie, ssoLogin, startStack, type Stack } from './support/stack.ts';

describe('gateway: products, through core, on the gateway’s identity token', function () {
  this.timeout(30_000);
  let stack: Stack;
  let cookie: string;
  beforeEach(async () => {
    stack = await startStack();
    cookie = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
  });
  afterEach(() => stack.close());

  const get = (path: string, accept = 'application/json') => stack.request('GET', path, undefined, { cookie, accept });

  it('serves its public keys at /.well-known/jwks.json (ES256)', async () => {
    const jwks = (await stack.request('GET', '/.well-known/jwks.json')).body;
    expect(jwks.keys).to.have.length(1);
    expect(jwks.keys[0]).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.to.have.property('d');
  });

  it('shows Trello boards the account may see: Organization-visible ones for a free managed member', async () => {
    const none = await get('/trello');
    expect(none.status).to.equal(403);
    expect(none.body.error.code).to.equal('no-product-access');

    const enterprise = (await stack.core.post('/api/trello/enterprises', { name: 'Acme Boards', admins: ['root@acme.com'] })).body;
    expect((await stack.core.post(`/api/trello/enterprises/${enterprise.id}/link`, { orgId: stack.org.id, actorEmail: 'root@acme.com' })).status).to.equal(200);
    await stack.core.post('/api/trello/accounts', { email: 'alice@acme.com' });
    const workspace = (await stack.core.post('/api/trello/workspaces', { name: 'Product', plan: 'enterprise', enterpriseId: enterprise.id })).body;
    await stack.core.post(`/api/trello/workspaces/${workspace.id}/boards`, { name: 'Roadmap', visibility: 'organization' });
    await stack.core.post(`/api/trello/workspaces/${workspace.id}/boards`, { name: 'Secret plans', visibility: 'private' });

    const boards = await get('/trello');
    expect(boards.status, boards.text).to.equal(200);
    expect(boards.body.boards.map((b: { name: string; access: string }) => `${b.name} ${b.access}`)).to.deep.equal(['Roadmap organization-visible']);
    const page = await get('/trello', 'text/html');
    expect(page.text).to.contain('Roadmap (organization-visible)').and.not.contain('Secret plans');
  });

  it('opens a site product only with access, and says why not', async () => {
    const refused = await get('/jira');
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('no-product-access');
    await stack.core.put(`/api/orgs/${stack.org.id}/products/jira-software`, { plan: 'standard' });
    await stack.core.post(`/api/orgs/${stack.org.id}/products/jira-software/access`, { emails: ['alice@acme.com'] });
    expect((await get('/jira')).body).to.deep.equal({ product: 'jira-software', access: true });
    expect((await get('/api/products/jira')).status).to.equal(200);
    expect((await stack.request('GET', '/jira')).status, 'without a session').to.equal(401);
    expect((await get('/nothing-here')).status).to.equal(404);
    // Paths as express matches them: case-insensitive, with or without a trailing slash.
    expect((await get('/JIRA/')).body).to.deep.equal({ product: 'jira-software', access: true });
  });

  it('core refuses identity tokens that are missing, malformed, signed by another key or expired', async () => {
    const account = (await stack.core.get('/api/accounts?email=alice@acme.com')).body;
    const accountId = (Array.isArray(account) ? account[0] : account).id;
    const me = (token?: string) =>
      fetch(`${stack.core.url}/api/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    expect((await me()).body.error.code).to.equal('identity-token-missing');
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const now = Math.floor(stack.clock.now().getTime() / 1000);
    const token = (claims: { aud?: string; exp?: number; iss?: string }) =>
      new SignJWT({ email: 'alice@acme.com' })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(claims.iss ?? 'http://localhost:8000')
        .setAudience(claims.aud ?? 'rehearsal-core')
        .setSubject(accountId)
        .setExpirationTime(claims.exp ?? now + 60)
        .sign(stranger);
    expect((await me(await token({}))).body.error.code, 'signed by a key not in the JWKS').to.equal('identity-token-invalid');
    expect((await me('not.a.jwt')).body.error.code).to.equal('identity-token-invalid');
    // Tokens the gateway really signs work; an expired one does not (core's clock moves past it).
    const products = await get('/api/products/jira');
    expect(products.status).to.equal(403);
    stack.core.clock.advance(10 * 60_000);
    const late = await get('/api/products/jira');
    expect(late.status, 'the gateway signs on its own clock: its token is expired for core').to.equal(401);
    expect(late.body.error.code).to.equal('identity-token-expired');
  });

  describe('the product API (/api/products/:product, answered before express)', () => {
    const grantJira = async () => {
      await stack.core.put(`/api/orgs/${stack.org.id}/products/jira-software`, { plan: 'standard' });
      await stack.core.post(`/api/orgs/${stack.org.id}/products/jira-software/access`, { emails: ['alice@acme.com'] });
    };

    it("passes core's answer through as core wrote it, whatever the Accept header, and never cached", async () => {
      await grantJira();
      for (const accept of ['application/json', 'text/html', '*/*']) {
        const reply = await get('/api/products/jira?from=test', accept);
        expect(reply.status, accept).to.equal(200);
        expect(reply.headers.get('content-type')).to.equal('application/json; charset=utf-8');
        expect(reply.headers.get('cache-control')).to.equal('no-store');
        expect(reply.body).to.deep.equal({ product: 'jira-software', access: true });
      }
      expect((await get('/api/products/jira-software')).body).to.deep.equal({ product: 'jira-software', access: true });
      expect((await get('/api/products/jira/')).body).to.deep.equal({ product: 'jira-software', access: true });
    });

    it("refuses with core's reason code: no product access, or no Trello for this account", async () => {
      const jira = await get('/api/products/confluence');
      expect([jira.status, jira.body.error.code]).to.deep.equal([403, 'no-product-access']);
      const trello = await get('/api/products/trello');
      expect([trello.status, trello.body.error.code]).to.deep.equal([403, 'no-product-access']);
    });

    it('without a live session: 401 with the reason, and the cookie cleared', async () => {
      const none = await stack.request('GET', '/api/products/jira');
      expect([none.status, none.body.error.code]).to.deep.equal([401, 'login-required']);
      const forged = await stack.request('GET', '/api/products/jira', undefined, { cookie: 'rehearsal_gw_session=abc.def' });
      expect([forged.status, forged.body.error.code]).to.deep.equal([401, 'session-unknown']);
      stack.clock.advance(30 * 24 * 60 * 60_000 + 60 * 60_000);
      const idle = await get('/api/products/jira');
      expect([idle.status, idle.body.error.code]).to.deep.equal([401, 'idle-timeout']);
      expect(idle.headers.getSetCookie().join()).to.match(/^rehearsal_gw_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    });

    it('leaves other methods and unknown products to express: 404 route-not-found', async () => {
      const unknown = await get('/api/products/frobnicator');
      expect([unknown.status, unknown.body.error.code]).to.deep.equal([404, 'route-not-found']);
      const post = await stack.request('POST', '/api/products/jira', {}, { cookie });
      expect(post.status).to.equal(404);
      const malformed = await get('/api/products/%E0%A4%A');
      expect(malformed.status).to.be.oneOf([400, 404]);
      expect((await get('/api/products/jira')).status, 'and the gateway still answers').to.equal(403);
    });

    it('answers 503 core-unavailable when core does not answer', async () => {
      await stack.core.close();
      const down = await get('/api/products/jira');
      expect([down.status, down.body.error.code]).to.deep.equal([503, 'core-unavailable']);
    });
  });
});
