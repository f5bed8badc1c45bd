import { expect } from 'chai';
import type { Express } from 'express';
import { createCoreApp } from '../../src/app.ts';
import { expressPath } from '../../src/api/route.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { GATEWAY_KEY, startCore, type TestCore } from '../support/core.ts';

/** Every route express serves, read from its router (not from our route table). */
function servedRoutes(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
  return stack.flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`) : []));
}

describe('api: OpenAPI document and credentials', () => {
  let core: TestCore;
  let openapi: { paths: Record<string, Record<string, { security: Record<string, unknown>[]; requestBody?: unknown }>> };

  before(async () => {
    core = await startCore();
    const response = await core.get('/openapi.json', { key: null });
    expect(response.status).to.equal(200);
    openapi = response.body;
  });
  after(() => core.close());

  const documented = () =>
    Object.entries(openapi.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${expressPath(path)}`));

  it('documents exactly the /api routes express serves', () => {
    const store = new SqliteStore(':memory:');
    const app = createCoreApp({ store, credentials: { adminKey: 'a'.repeat(20), gatewayKey: 'b'.repeat(20) }, gatewayUrl: 'http://gw' });
    const served = servedRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/api/'));
    expect(served.length).to.be.greaterThan(50);
    expect([...documented()].sort()).to.deep.equal([...served].sort());
    void store.close();
  });

  it('is an OpenAPI 3.1 document with a request schema for every body', () => {
    expect(openapi).to.have.property('openapi', '3.1.0');
    const post = openapi.paths['/api/orgs']!.post as unknown as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    expect(post.requestBody.content['application/json']!.schema.properties).to.have.keys('name', 'plan', 'subscription', 'admins');
    const csv = openapi.paths['/api/orgs/{orgId}/policies/{policyId}/members/csv']!.post as unknown as { requestBody: { content: Record<string, unknown> } };
    expect(csv.requestBody.content).to.have.key('text/csv');
  });

  it('refuses every documented route without a key: 401 with WWW-Authenticate: Bearer', async () => {
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(ops)) {
        const concrete = path.replace(/\{(\w+)\}/g, 'x');
        const response = await core.request(method.toUpperCase(), concrete, undefined, { key: null });
        expect(response.status, `${method} ${path}`).to.equal(401);
        expect(response.headers.get('www-authenticate')).to.match(/^Bearer/);
        expect(response.body.error.code).to.equal('missing-credentials');
      }
    }
  });

  it('refuses a wrong key with 401 invalid-credentials', async () => {
    const response = await core.get('/api/orgs', { key: 'not-the-key' });
    expect(response.status).to.equal(401);
    expect(response.body.error.code).to.equal('invalid-credentials');
    expect(response.headers.get('www-authenticate')).to.include('invalid_token');
  });

  it("keeps the gateway's key out of the admin API (403) and lets it ask for login decisions", async () => {
    const admin = await core.get('/api/orgs', { key: GATEWAY_KEY });
    expect(admin.status).to.equal(403);
    expect(admin.body.error.code).to.equal('insufficient-scope');
    const decision = await core.post('/api/login/decision', { email: 'nobody@example.com' }, { key: GATEWAY_KEY });
    expect(decision.status).to.equal(200);
    expect(decision.body.reason).to.equal('account-unknown');
  });

  it('marks gateway routes with the gateway key scheme and the rest with the admin key', () => {
    expect(openapi.paths['/api/login/decision']!.post!.security).to.deep.equal([{ gatewayKey: [] }]);
    expect(openapi.paths['/api/orgs']!.get!.security).to.deep.equal([{ adminKey: [] }]);
  });

  it('serves /healthz without credentials', async () => {
    const response = await core.get('/healthz', { key: null });
    expect(response.status).to.equal(200);
    expect(response.body).to.include({ status: 'ok', service: 'core' });
  });
});
