import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';

describe('api: harness endpoints', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  it('reads, advances, unfreezes, freezes and sets the clock', async () => {
    const read = await core.get('/_rehearsal/clock', { key: null });
    expect(read.body).to.deep.include({ now: '2026-11-23T09:00:00.000Z', frozen: true });
    const advanced = await core.post('/_rehearsal/clock', { advance: '31m' }, { key: null });
    expect(advanced.body.now).to.equal('2026-11-23T09:31:00.000Z');
    const iso = await core.post('/_rehearsal/clock', { advance: 'PT1H' }, { key: null });
    expect(iso.body.now).to.equal('2026-11-23T10:31:00.000Z');
    const set = await core.post('/_rehearsal/clock', { at: '2027-01-01T00:00:00Z', freeze: true }, { key: null });
    expect(set.body).to.deep.include({ now: '2027-01-01T00:00:00.000Z', frozen: true });
    const running = await core.post('/_rehearsal/clock', { freeze: false }, { key: null });
    expect(running.body.frozen).to.equal(false);
  });

  it('refuses a bad duration or an unknown field with 400 and leaves the clock alone', async () => {
    const bad = await core.post('/_rehearsal/clock', { advance: 'soon' }, { key: null });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.deep.include({ code: 'invalid-duration' });
    expect(bad.body.error.details[0].path).to.equal('body.advance');
    const unknown = await core.post('/_rehearsal/clock', { rewind: '5m' }, { key: null });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error.details[0]).to.deep.include({ path: 'body.rewind', message: 'unknown field' });
    const negative = await core.post('/_rehearsal/clock', { advance: -5 }, { key: null });
    expect(negative.status).to.equal(400);
    expect((await core.get('/_rehearsal/clock', { key: null })).body.now).to.equal('2026-11-23T09:00:00.000Z');
  });

  it('resets the store, the published DNS records and the clock', async () => {
    await core.post('/api/orgs', { name: 'Acme', admins: ['root@acme.com'] });
    await core.post('/_rehearsal/dns', { domain: 'acme.com', txt: 'x' }, { key: null });
    await core.post('/_rehearsal/clock', { advance: '1d' }, { key: null });
    const reset = await core.post('/_rehearsal/reset', undefined, { key: null });
    expect(reset.status).to.equal(200);
    expect((await core.get('/api/orgs')).body).to.deep.equal([]);
    expect((await core.get('/_rehearsal/dns', { key: null })).body).to.deep.equal({ active: false, records: {} });
    expect((await core.get('/_rehearsal/clock', { key: null })).body.frozen).to.equal(false);
  });

  it('publishes, lists and removes DNS records and verification files', async () => {
    const published = await core.post('/_rehearsal/dns', { domain: 'Acme.COM', txt: ['a', 'b'], file: 'token' }, { key: null });
    expect(published.status).to.equal(201);
    expect(published.body).to.deep.equal({ domain: 'acme.com', txt: ['a', 'b'], file: 'token' });
    await core.post('/_rehearsal/dns', { domain: 'acme.com', txt: 'c' }, { key: null });
    expect((await core.get('/_rehearsal/dns', { key: null })).body.records['acme.com'].txt).to.deep.equal(['a', 'b', 'c']);
    expect((await core.delete('/_rehearsal/dns/acme.com', { key: null })).status).to.equal(204);
    expect((await core.delete('/_rehearsal/dns/acme.com', { key: null })).status).to.equal(404);
  });

  it('refuses bad DNS publications with 400 and publishes nothing', async () => {
    for (const body of [{ domain: 'not a domain', txt: 'x' }, { domain: 'acme.com' }, { domain: 'acme.com', txt: 5 }, { txt: 'x' }]) {
      const response = await core.post('/_rehearsal/dns', body, { key: null });
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(response.body.error.code).to.be.a('string');
    }
    expect((await core.get('/_rehearsal/dns', { key: null })).body.active).to.equal(false);
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
