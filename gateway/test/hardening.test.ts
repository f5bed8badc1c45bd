import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControllableClock } from '@rehearsal/runtime';
import { GATEWAY_KEY } from '../../core/test/support/core.ts';
import { httpRequest } from '../../mock-idp/test/support/idp.ts';
import { createGatewayApp } from '../src/app.ts';
import { MemorySessionStore, ENDED_SESSION_GRACE_MS } from '../src/sessions/session-store.ts';
import { countingProxy } from './support/counting-proxy.ts';
import { ADMIN_KEY, NOW, postResponse, sessionCookie, ssoLogin, startStack, type Stack } from './support/stack.ts';

const BOB = { email: 'bob@acme.com', password: 'bob-long-passphrase-1' };
const BAD_COOKIES = ['%E0%A4%A', '%', '%zz', '\u00e9t\u00e9', '"unterminated', 'a=b=c', ''];

describe('gateway: hardening (issue 13)', function () {
  this.timeout(60_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack()));
  afterEach(() => stack.close());

  describe('1. an undecodable cookie is no cookie', () => {
    it('answers every page and the product API as for a request without a session, and keeps answering', async () => {
      for (const value of BAD_COOKIES) {
        for (const name of ['rehearsal_gw_session', 'rehearsal_gw_pending', 'rehearsal_gw_csrf']) {
          const cookie = `${name}=${value}`;
          const api = await stack.request('GET', '/api/products/trello', undefined, { cookie });
          expect(api.status, `${cookie} /api/products/trello`).to.equal(401);
          for (const path of ['/me', '/', '/trello', '/jira', '/login']) {
            const page = await stack.request('GET', path, undefined, { cookie, accept: 'text/html' });
            expect(page.status, `${cookie} ${path}`).to.be.below(500);
          }
          expect((await stack.request('POST', '/logout', {}, { cookie })).status).to.be.below(500);
          expect((await stack.request('POST', '/login/two-step', { code: '123456' }, { cookie })).status).to.equal(401);
        }
      }
      expect((await stack.request('GET', '/healthz')).status).to.equal(200);
    });
  });

  describe('2. a SAMLResponse that is not XML, or not well-formed', () => {
    const variants: [string, Buffer][] = [
      ['two roots', Buffer.from('<a/><b/>')],
      ['text', Buffer.from('hello')],
      ['unclosed', Buffer.from('<a>')],
      ['duplicated attribute', Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="a" ID="b"/>')],
      ['bare declaration', Buffer.from('<?xml?>')],
      ['UTF-16 bytes', Buffer.from('\ufeff<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>', 'utf16le')],
      ['empty element soup', Buffer.from('<<<>>>')],
    ];
    for (const [name, bytes] of variants) {
      it(`answers 400 saml-response-malformed for ${name}, as JSON and as a page`, async () => {
        const json = await postResponse(stack, bytes.toString('base64'));
        expect(json.status).to.equal(400);
        expect(json.body.error.code).to.equal('saml-response-malformed');
        expect(json.text).not.to.match(/at \w+ \(|node_modules/);
        const page = await stack.request(
          'POST',
          `/login/callback?connection=saml-${stack.connection.id}`,
          `SAMLResponse=${encodeURIComponent(bytes.toString('base64'))}`,
          { accept: 'text/html' },
        );
        expect(page.status).to.equal(400);
        expect(page.text).to.contain('saml-response-malformed');
      });
    }
  });

  describe('3. other inputs that gave 500s', () => {
    it('refuses a repeated query parameter with 400 naming it', async () => {
      const doubled = await stack.request('POST', `/login/callback?connection=saml-${stack.connection.id}&connection=saml-x`, 'SAMLResponse=eA==');
      expect(doubled.status).to.equal(400);
      expect(doubled.body.error).to.include({ code: 'query-parameter-repeated' });
      expect((await stack.request('GET', '/login?reason=idle-timeout&reason=x', undefined, { accept: 'text/html' })).status).to.equal(400);
      expect((await stack.request('GET', '/logout/callback?connection=a&connection=b')).status).to.equal(400);
    });

    it('refuses a non-ASCII CSRF token (403) and a non-ASCII admin key (401)', async () => {
      const form = await stack.request('GET', '/login', undefined, { accept: 'text/html' });
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
      const cookie = form.headers
        .getSetCookie()
        .find((c) => c.startsWith('rehearsal_gw_csrf='))!
        .split(';')[0]!;
      // Same number of characters as the real token, more bytes: the comparison that threw.
      const forged = 'é'.repeat(csrf.length);
      const refused = await stack.request('POST', '/login', `email=alice%40acme.com&csrf=${encodeURIComponent(forged)}`, { cookie, accept: 'text/html' });
      expect(refused.status).to.equal(403);
      expect(refused.text).to.contain('csrf-token-invalid');
      const key = await stack.request(
        'POST',
        '/api/sessions/revoke',
        { account: 'alice@acme.com' },
        { authorization: `Bearer ${'é'.repeat(ADMIN_KEY.length)}` },
      );
      expect(key.status).to.equal(401);
      expect(key.body.error.code).to.equal('admin-key-invalid');
    });
  });

  describe('6. guesses in parallel', () => {
    it('lets at most the limit of 50 concurrent wrong passwords, and of 40 concurrent codes, reach core', async () => {
      const proxy = await countingProxy(stack.core.url);
      const clock = new ControllableClock();
      clock.freeze(NOW);
      const app = createGatewayApp({ publicUrl: 'http://localhost:8000', coreUrl: proxy.url, coreKey: GATEWAY_KEY, adminKey: ADMIN_KEY, clock });
      const server: Server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const passwords = await Promise.all(
          Array.from({ length: 50 }, (_, i) => httpRequest(url, 'POST', '/login/password', { ...BOB, password: `wrong-${i}` }, { accept: 'application/json' })),
        );
        expect(proxy.count('/api/login/password')).to.be.at.most(5);
        expect(passwords.filter((r) => r.status === 401)).to.have.length(proxy.count('/api/login/password'));
        expect(passwords.filter((r) => r.status === 429)).to.have.length(50 - proxy.count('/api/login/password'));
        for (const r of passwords.filter((r) => r.status === 429)) expect(Number(r.headers.get('retry-after'))).to.be.greaterThan(0);

        // Two-step codes: bob in a mandatory-2SV policy, enrolment pending; 40 wrong codes at once.
        const policies = (await stack.core.get(`/api/orgs/${stack.org.id}/policies`)).body as { id: string; directoryId: string }[];
        await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${policies.find((p) => p.directoryId !== stack.directoryId)!.id}`, { twoStep: 'mandatory' });
        clock.advance(16 * 60_000);
        const first = await httpRequest(url, 'POST', '/login/password', BOB, { accept: 'application/json' });
        expect(first.body.step).to.equal('two-step-enrolment');
        const pending = first.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');
        const codes = await Promise.all(
          Array.from({ length: 40 }, () =>
            httpRequest(url, 'POST', '/login/two-step/enrol', { code: '000000' }, { cookie: pending, accept: 'application/json' }),
          ),
        );
        expect(proxy.count('/api/login/complete')).to.be.at.most(5);
        expect(codes.filter((r) => r.status === 429)).to.have.length(40 - proxy.count('/api/login/complete'));
      } finally {
        await new Promise((resolve) => server.close(resolve));
        await proxy.close();
      }
    });
  });

  describe('9. sessions that ended leave memory', () => {
    it('sweeps ended sessions on the injected clock, a day after they ended, and only those', async () => {
      const clock = new ControllableClock();
      clock.freeze(NOW);
      const store = new MemorySessionStore(clock);
      const session = (id: string, idleMs: number) => ({
        id,
        email: `${id}@acme.com`,
        accountId: id,
        method: 'password' as const,
        createdAt: NOW.getTime(),
        lastSeenAt: NOW.getTime(),
        idleMs,
        absoluteMs: null,
      });
      for (let i = 0; i < 10_000; i++) await store.set(session(`s${i}`, 60 * 60_000));
      await store.set(session('long', 30 * 24 * 60 * 60_000));
      expect(store.size).to.equal(10_001);
      clock.advance(60 * 60_000 + ENDED_SESSION_GRACE_MS - 1);
      await store.get('long');
      expect(store.size, 'within the grace, the reason can still be told').to.equal(10_001);
      clock.advance(60_000);
      await store.get('long');
      expect(store.size).to.equal(1);
      expect(await store.get('long')).to.include({ id: 'long' });
    });

    it('keeps the store flat over many logins whose sessions end', async () => {
      const store = new MemorySessionStore(stack.clock);
      const clock = stack.clock;
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 2000; i++)
          await store.set({
            id: `r${round}-${i}`,
            email: 'x@acme.com',
            accountId: 'x',
            method: 'sso',
            createdAt: clock.now().getTime(),
            lastSeenAt: clock.now().getTime(),
            idleMs: 60 * 60_000,
            absoluteMs: 8 * 60 * 60_000,
          });
        clock.advance(2 * ENDED_SESSION_GRACE_MS);
      }
      await store.get('none');
      expect(store.size).to.equal(0);
    });
  });

  describe('13. the login steps do not tell which accounts exist', () => {
    it('answers the email step alike for unknown emails, password accounts and deactivated accounts', async () => {
      const deactivated = (await stack.core.get('/api/accounts?email=bob@acme.com')).body[0];
      const known = await stack.request('POST', '/login', { email: BOB.email });
      const unknown = await stack.request('POST', '/login', { email: 'nobody-here@acme.com' });
      const stranger = await stack.request('POST', '/login', { email: 'someone@elsewhere.example' });
      await stack.core.post(`/api/accounts/${deactivated.id}/deactivate`);
      const inactive = await stack.request('POST', '/login', { email: BOB.email });
      for (const answer of [unknown, stranger, inactive]) {
        expect(answer.status).to.equal(known.status);
        expect(answer.body).to.deep.equal(known.body);
      }
    });

    it('answers a wrong password, an unknown email, an account without a password and a deactivated account alike, and tells the lock-out only after the right password', async () => {
      await stack.core.post('/api/accounts', { email: 'nopass@acme.com' });
      const answers = [
        await stack.request('POST', '/login/password', { email: BOB.email, password: 'wrong-password' }),
        await stack.request('POST', '/login/password', { email: 'nobody-here@acme.com', password: 'whatever-1' }),
        await stack.request('POST', '/login/password', { email: 'nopass@acme.com', password: 'whatever-1' }),
      ];
      const bob = (await stack.core.get('/api/accounts?email=bob@acme.com')).body[0];
      await stack.core.post(`/api/accounts/${bob.id}/deactivate`);
      answers.push(await stack.request('POST', '/login/password', { email: BOB.email, password: 'wrong-password' }));
      for (const answer of answers) {
        expect(answer.status).to.equal(401);
        expect(answer.body).to.deep.equal({ error: { code: 'password-invalid', message: 'Wrong email or password.' } });
      }
      const right = await stack.request('POST', '/login/password', BOB);
      expect(right.status).to.equal(403);
      expect(right.body.error.code).to.equal('account-deactivated');
    });

    it('throttles unknown emails like known ones', async () => {
      for (let i = 0; i < 5; i++) await stack.request('POST', '/login/password', { email: 'nobody-here@acme.com', password: `guess-${i}` });
      expect((await stack.request('POST', '/login/password', { email: 'nobody-here@acme.com', password: 'guess' })).status).to.equal(429);
    });
  });

  describe('17. pages that said the wrong thing', () => {
    it('keeps the enrolment step after a wrong code, so the person types the next one', async () => {
      const policies = (await stack.core.get(`/api/orgs/${stack.org.id}/policies`)).body as { id: string; directoryId: string }[];
      await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${policies.find((p) => p.directoryId !== stack.directoryId)!.id}`, { twoStep: 'mandatory' });
      const form = await stack.request('GET', '/login', undefined, { accept: 'text/html' });
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
      const csrfCookie = form.headers
        .getSetCookie()
        .find((c) => c.startsWith('rehearsal_gw_csrf='))!
        .split(';')[0]!;
      const step = await stack.request('POST', '/login/password', `email=bob%40acme.com&password=${BOB.password}&csrf=${csrf}`, {
        cookie: csrfCookie,
        accept: 'text/html',
      });
      const secret = /Secret: <code>([A-Z2-7]+)<\/code>/.exec(step.text)![1]!;
      const cookie = [
        csrfCookie,
        step.headers
          .getSetCookie()
          .find((c) => c.startsWith('rehearsal_gw_pending='))!
          .split(';')[0]!,
      ].join('; ');
      const wrong = await stack.request('POST', '/login/two-step/enrol', `code=000000&csrf=${csrf}`, { cookie, accept: 'text/html' });
      expect(wrong.status).to.equal(401);
      expect(wrong.text).to.contain('Set up two-step verification').and.contain('two-step-code-invalid').and.contain(`Secret: <code>${secret}</code>`);
      const { generateSync } = await import('otplib');
      const right = await stack.request('POST', '/login/two-step/enrol', `code=${generateSync({ secret, epoch: NOW.getTime() / 1000 })}&csrf=${csrf}`, {
        cookie,
        accept: 'text/html',
      });
      expect(right.status).to.equal(200);
      expect(right.text).to.contain('Save your recovery codes');
    });

    it('shows a product without access as such, while logged in, with the session kept', async () => {
      const { callback } = await ssoLogin(stack, 'alice@acme.com');
      const cookie = sessionCookie(callback)!;
      const page = await stack.request('GET', '/confluence', undefined, { cookie, accept: 'text/html' });
      expect(page.status).to.equal(403);
      expect(page.text).to.contain('<h1>No access to Confluence</h1>').and.contain('no-product-access').and.contain('action="/logout"');
      expect(page.text).not.to.contain('Login failed');
      expect((await stack.request('GET', '/me', undefined, { cookie })).status).to.equal(200);
    });
  });
});
