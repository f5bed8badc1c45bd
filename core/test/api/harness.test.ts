import { expect } from 'chai';
import { ADMIN_KEY, GATEWAY_KEY, HARNESS_KEY, startCore, type TestCore } from '../support/core.ts';

describe('api: harness endpoints', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  it('reads, advances, unfreezes, freezes and sets the clock', async () => {
    const read = await core.get('/_rehearsal/clock', { key: null });
    expect(read.body).to.deep.include({ now: '2026-11-23T09:00:00.000Z', frozen: true });
    const advanced = await core.post('/_rehearsal/clock', { advance: '31m' }, { key: HARNESS_KEY });
    expect(advanced.body.now).to.equal('2026-11-23T09:31:00.000Z');
    const iso = await core.post('/_rehearsal/clock', { advance: 'PT1H' }, { key: HARNESS_KEY });
    expect(iso.body.now).to.equal('2026-11-23T10:31:00.000Z');
    const set = await core.post('/_rehearsal/clock', { at: '2027-01-01T00:00:00Z', freeze: true }, { key: HARNESS_KEY });
    expect(set.body).to.deep.include({ now: '2027-01-01T00:00:00.000Z', frozen: true });
    const running = await core.post('/_rehearsal/clock', { freeze: false }, { key: HARNESS_KEY });
    expect(running.body.frozen).to.equal(false);
  });

  it('refuses a bad duration or an unknown field with 400 and leaves the clock alone', async () => {
    const bad = await core.post('/_rehearsal/clock', { advance: 'soon' }, { key: HARNESS_KEY });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.deep.include({ code: 'invalid-duration' });
    expect(bad.body.error.details[0].path).to.equal('body.advance');
    const unknown = await core.post('/_rehearsal/clock', { rewind: '5m' }, { key: HARNESS_KEY });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error.details[0]).to.deep.include({ path: 'body.rewind', message: 'unknown field' });
    const negative = await core.post('/_rehearsal/clock', { advance: -5 }, { key: HARNESS_KEY });
    expect(negative.status).to.equal(400);
    expect((await core.get('/_rehearsal/clock', { key: null })).body.now).to.equal('2026-11-23T09:00:00.000Z');
  });

  it('resets the store, the published DNS records and the clock', async () => {
    await core.post('/api/orgs', { name: 'Acme', admins: ['root@acme.com'] });
    await core.post('/_rehearsal/dns', { domain: 'acme.com', txt: 'x' }, { key: HARNESS_KEY });
    await core.post('/_rehearsal/clock', { advance: '1d' }, { key: HARNESS_KEY });
    const reset = await core.post('/_rehearsal/reset', undefined, { key: HARNESS_KEY });
    expect(reset.status).to.equal(200);
    expect((await core.get('/api/orgs')).body).to.deep.equal([]);
    expect((await core.get('/_rehearsal/dns', { key: HARNESS_KEY })).body).to.deep.equal({ active: false, records: {} });
    expect((await core.get('/_rehearsal/clock', { key: null })).body.frozen).to.equal(false);
  });

  it('publishes, lists and removes DNS records and verification files', async () => {
    const published = await core.post('/_rehearsal/dns', { domain: 'Acme.COM', txt: ['a', 'b'], file: 'token' }, { key: HARNESS_KEY });
    expect(published.status).to.equal(201);
    expect(published.body).to.deep.equal({ domain: 'acme.com', txt: ['a', 'b'], file: 'token' });
    await core.post('/_rehearsal/dns', { domain: 'acme.com', txt: 'c' }, { key: HARNESS_KEY });
    expect((await core.get('/_rehearsal/dns', { key: HARNESS_KEY })).body.records['acme.com'].txt).to.deep.equal(['a', 'b', 'c']);
    expect((await core.delete('/_rehearsal/dns/acme.com', { key: HARNESS_KEY })).status).to.equal(204);
    expect((await core.delete('/_rehearsal/dns/acme.com', { key: HARNESS_KEY })).status).to.equal(404);
  });

  it('refuses bad DNS publications with 400 and publishes nothing', async () => {
    for (const body of [{ domain: 'not a domain', txt: 'x' }, { domain: 'acme.com' }, { domain: 'acme.com', txt: 5 }, { txt: 'x' }]) {
      const response = await core.post('/_rehearsal/dns', body, { key: HARNESS_KEY });
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(response.body.error.code).to.be.a('string');
    }
    expect((await core.get('/_rehearsal/dns', { key: HARNESS_KEY })).body.active).to.equal(false);
  });

  // Issue 13.5: anyone could wipe core, move the clock (reopening assertion windows) or publish and read DNS tokens.
  it('refuses every harness change and the DNS records without the harness key (401) and changes nothing', async () => {
    const org = await core.post('/api/orgs', { name: 'Acme', admins: ['root@acme.com'] });
    await core.post('/_rehearsal/dns', { domain: 'acme.com', txt: 'atlassian-domain-verification=secret-token' }, { key: HARNESS_KEY });
    const attempts: [string, string, unknown?][] = [
      ['POST', '/_rehearsal/reset'],
      ['POST', '/_rehearsal/clock', { advance: '30d' }],
      ['POST', '/_rehearsal/clock', { freeze: true, at: '2030-01-01T00:00:00Z' }],
      ['GET', '/_rehearsal/dns'],
      ['POST', '/_rehearsal/dns', { domain: 'evil.com', txt: 'x' }],
      ['DELETE', '/_rehearsal/dns/acme.com'],
      ['DELETE', '/_rehearsal/dns'],
    ];
    for (const key of [null, 'wrong-key-0123456789abcdef', GATEWAY_KEY, 'é'.repeat(24)]) {
      for (const [method, path, body] of attempts) {
        const answer = await core.request(method, path, body, { key });
        expect(answer.status, `${method} ${path} with ${key}`).to.equal(401);
        expect(answer.body.error.code).to.match(/^harness-key-(required|invalid)$/);
        expect(answer.headers.get('www-authenticate')).to.match(/^Bearer/);
      }
    }
    expect((await core.get('/api/orgs')).body.map((o: { id: string }) => o.id)).to.deep.equal([org.body.id]);
    expect((await core.get('/_rehearsal/clock', { key: null })).body).to.deep.include({ now: '2026-11-23T09:00:00.000Z', frozen: true });
    expect((await core.get('/_rehearsal/dns', { key: HARNESS_KEY })).body.records).to.have.all.keys('acme.com');
  });

  it('takes the admin key as well as the harness key', async () => {
    expect((await core.post('/_rehearsal/clock', { advance: '1m' }, { key: ADMIN_KEY })).status).to.equal(200);
    expect((await core.post('/_rehearsal/clock', { advance: '1m' }, { key: HARNESS_KEY })).status).to.equal(200);
    expect((await core.get('/_rehearsal/clock', { key: null })).body.now).to.equal('2026-11-23T09:02:00.000Z');
  });

  it('is absent when the harness is off', async () => {
    const off = await startCore({ harness: false });
    try {
      expect((await off.get('/_rehearsal/clock', { key: null })).status).to.equal(404);
      expect((await off.post('/_rehearsal/reset', undefined, { key: null })).status).to.equal(404);
      expect((await off.post('/_rehearsal/dns', { domain: 'a.com', txt: 'x' }, { key: null })).status).to.equal(404);
    } finally {
      await off.close();
    }
  });
});

describe('api: the root of core', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  // Issue 13.17: the URL the banner prints answered a JSON 404.
  it('answers GET / with what core is and its main URLs, as a page or JSON, without a key', async () => {
    const page = await core.get('/', { key: null, headers: { accept: 'text/html' } });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    expect(page.body).to.contain('Rehearsal core').and.to.contain('href="/openapi.json"');
    expect(page.headers.get('content-security-policy')).to.contain("default-src 'none'");
    const json = await core.get('/', { key: null, headers: { accept: 'application/json' } });
    expect(json.body).to.include({ service: 'core' });
    expect(json.body.links.map((l: { path: string }) => l.path)).to.include('/openapi.json');
  });
});
