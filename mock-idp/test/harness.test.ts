import { expect } from 'chai';
import { httpRequest, startIdp, type TestIdp } from './support/idp.ts';

describe('mock-idp: the harness needs its key; the root says what this is', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  // Issue 13.5: reset and the clock were open to anyone who could reach the port.
  it('refuses reset, /api/reset and clock changes without the harness key (401), and changes nothing', async () => {
    await idp.request('POST', '/api/users', { email: 'carol@acme.com' });
    for (const authorization of [undefined, 'Bearer not-the-key-0123456789', 'Bearer ' + 'é'.repeat(30), 'Basic Zm9vOmJhcg==']) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      for (const [method, path, body] of [
        ['POST', '/_rehearsal/reset', undefined],
        ['POST', '/api/reset', undefined],
        ['POST', '/_rehearsal/clock', { advance: '13h' }],
      ] as const) {
        const answer = await httpRequest(idp.url, method, path, body, { accept: 'application/json', ...headers });
        expect(answer.status, `${method} ${path} ${authorization}`).to.equal(401);
        expect(answer.body.error.code).to.match(/^harness-key-(required|invalid)$/);
      }
    }
    expect((await idp.request('GET', '/api/users/carol@acme.com')).status).to.equal(200);
    expect((await httpRequest(idp.url, 'GET', '/_rehearsal/clock')).body).to.deep.include({ now: '2026-11-23T09:00:00.000Z' });
  });

  // Issue 13.17: the URL the banner prints answered a JSON 404.
  it('answers GET / with what the mock IdP is and its main URLs, as a page or JSON', async () => {
    const page = await httpRequest(idp.url, 'GET', '/', undefined, { accept: 'text/html' });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    expect(page.text).to.contain('Rehearsal mock IdP').and.to.contain('href="/saml/metadata"');
    const json = await httpRequest(idp.url, 'GET', '/', undefined, { accept: 'application/json' });
    expect(json.body).to.include({ service: 'mock-idp' });
    expect(json.body.links.map((l: { path: string }) => l.path)).to.include.members(['/saml/metadata', '/api/users', '/api/provisioning/targets']);
  });

  // Issue 13.1: an undecodable cookie gave 500s at /saml/sso.
  it('treats an undecodable session cookie as absent at the SSO endpoint', async () => {
    const answer = await httpRequest(idp.url, 'GET', '/saml/idp-initiated?sp=' + encodeURIComponent('https://sp.example.test/saml/metadata'), undefined, {
      cookie: 'rehearsal_idp_session=%E0%A4%A',
    });
    expect(answer.status).to.equal(303);
    expect(answer.headers.get('location')).to.match(/^\/login\//);
  });
});
