import { expect } from 'chai';
import { generateSync } from 'otplib';
import { ssoLogin, startStack, type Reply, type Stack } from './support/stack.ts';

const BOB = { email: 'bob@acme.com', password: 'bob-long-passphrase-1' };

describe('gateway: password and two-step verification', function () {
  this.timeout(30_000);
  let stack: Stack;
  let localPolicy: string;
  beforeEach(async () => {
    stack = await startStack();
    const policies = (await stack.core.get(`/api/orgs/${stack.org.id}/policies`)).body as { id: string; directoryId: string }[];
    localPolicy = policies.find((p) => p.directoryId !== stack.directoryId)!.id;
  });
  afterEach(() => stack.close());

  const cookies = (...replies: Reply[]) =>
    replies
      .flatMap((r) => r.headers.getSetCookie())
      .map((c) => c.split(';')[0]!)
      .filter((c) => !c.endsWith('='))
      .reduce((jar, c) => ({ ...jar, [c.split('=')[0]!]: c }), {} as Record<string, string>);
  const header = (jar: Record<string, string>) => Object.values(jar).join('; ');
  const me = (jar: Record<string, string>) => stack.request('GET', '/me', undefined, { cookie: header(jar) });
  const codeNow = (secret: string) => generateSync({ secret, epoch: Math.floor(stack.core.clock.now().getTime() / 1000) });
  const setPolicy = (changes: Record<string, unknown>) => stack.core.patch(`/api/orgs/${stack.org.id}/policies/${localPolicy}`, changes);

  async function password(credentials = BOB, jar: Record<string, string> = {}) {
    const reply = await stack.request('POST', '/login/password', credentials, { cookie: header(jar) });
    return { reply, jar: { ...jar, ...cookies(reply) } };
  }

  it('logs in with a password when the policy does not use SSO, and records the login', async () => {
    const first = await stack.request('POST', '/login', { email: BOB.email });
    expect(first.body).to.deep.equal({ step: 'password', message: 'Enter the password of this account.', ssoToo: false });
    const { reply, jar } = await password();
    expect(reply.body).to.include({ loggedIn: true, email: BOB.email, method: 'password', redirect: '/' });
    expect((await me(jar)).body).to.include({ email: BOB.email, method: 'password' });
    const page = await stack.request('POST', '/login', { email: BOB.email }, { accept: 'text/html' });
    expect(page.text).to.contain('action="/login/password"');
  });

  it('refuses a password for members of an SSO-enforced policy (sso-required)', async () => {
    const refused = await stack.request('POST', '/login/password', { email: 'alice@acme.com', password: 'alice-long-passphrase-1' });
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('sso-required');
  });

  it('throttles wrong passwords per account, whatever the session, with Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const wrong = await stack.request('POST', '/login/password', { ...BOB, password: `wrong-${i}` });
      expect(wrong.body.error.code).to.equal('password-invalid');
    }
    const blocked = await stack.request('POST', '/login/password', BOB);
    expect(blocked.status).to.equal(429);
    expect(blocked.body.error.code).to.equal('too-many-attempts');
    expect(Number(blocked.headers.get('retry-after'))).to.equal(900);
    stack.clock.advance(15 * 60_000);
    expect((await stack.request('POST', '/login/password', BOB)).body).to.include({ loggedIn: true });
  });

  it('enrols two-step verification when the policy makes it mandatory, granting nothing before the code', async () => {
    await setPolicy({ twoStep: 'mandatory' });
    const { reply, jar } = await password();
    expect(reply.body.step).to.equal('two-step-enrolment');
    expect(reply.body.otpauthUri).to.match(/^otpauth:\/\/totp\/Rehearsal:bob%40acme\.com\?secret=[A-Z2-7]+/);
    expect(Object.keys(jar)).to.deep.equal(['rehearsal_gw_pending']);
    expect((await me(jar)).status, 'the pending login opens nothing').to.equal(401);

    const wrong = await stack.request('POST', '/login/two-step/enrol', { code: '000000' }, { cookie: header(jar) });
    expect(wrong.body.error.code).to.equal('two-step-code-invalid');
    const enrolled = await stack.request('POST', '/login/two-step/enrol', { code: codeNow(reply.body.secret) }, { cookie: header(jar) });
    expect(enrolled.body).to.include({ loggedIn: true, method: 'password' });
    expect(enrolled.body.recoveryCodes).to.have.length(10);
    const session = { ...jar, ...cookies(enrolled) };
    expect((await me(session)).status).to.equal(200);

    // Next login: password, then a code; a code is never accepted twice.
    const again = await password();
    expect(again.reply.body.step).to.equal('two-step');
    const reused = await stack.request('POST', '/login/two-step', { code: codeNow(reply.body.secret) }, { cookie: header(again.jar) });
    expect(reused.body.error.code).to.equal('two-step-code-reused');
    stack.core.clock.advance(30_000);
    const ok = await stack.request('POST', '/login/two-step', { code: codeNow(reply.body.secret) }, { cookie: header(again.jar) });
    expect(ok.body).to.include({ loggedIn: true, secondFactor: 'totp-valid' });

    // A recovery code works once.
    const third = await password();
    const recovered = await stack.request('POST', '/login/two-step', { code: enrolled.body.recoveryCodes[0] }, { cookie: header(third.jar) });
    expect(recovered.body).to.include({ loggedIn: true, secondFactor: 'recovery-code-used', recoveryCodesLeft: 9 });
    const fourth = await password();
    const spent = await stack.request('POST', '/login/two-step', { code: enrolled.body.recoveryCodes[0] }, { cookie: header(fourth.jar) });
    expect(spent.body.error.code).to.equal('two-step-code-invalid');
  });

  it('shows the secret, the otpauth URI and a QR code to browsers, and recovery codes once', async () => {
    await setPolicy({ twoStep: 'mandatory' });
    const form = await stack.request('GET', '/login', undefined, { accept: 'text/html' });
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const jar = cookies(form);
    const step = await stack.request('POST', '/login/password', `email=bob%40acme.com&password=${BOB.password}&csrf=${csrf}`, {
      cookie: header(jar),
      accept: 'text/html',
    });
    expect(step.text).to.contain('<svg').and.contain('otpauth://totp/');
    const secret = /Secret: <code>([A-Z2-7]+)<\/code>/.exec(step.text)![1]!;
    const done = await stack.request('POST', '/login/two-step/enrol', `code=${codeNow(secret)}&csrf=${csrf}`, {
      cookie: header({ ...jar, ...cookies(step) }),
      accept: 'text/html',
    });
    expect(done.text).to.contain('Save your recovery codes');
    expect(done.text.match(/<li><code>[0-9a-f]{5}-[0-9a-f]{5}<\/code><\/li>/g)).to.have.length(10);
    const noToken = await stack.request('POST', '/login/two-step/enrol', `code=123456`, { cookie: header({ ...jar, ...cookies(step) }), accept: 'text/html' });
    expect(noToken.status).to.equal(403);
  });

  it('throttles wrong codes per account', async () => {
    await setPolicy({ twoStep: 'mandatory' });
    const { jar } = await password();
    for (let i = 0; i < 5; i++) await stack.request('POST', '/login/two-step/enrol', { code: '000000' }, { cookie: header(jar) });
    const blocked = await stack.request('POST', '/login/two-step/enrol', { code: '000000' }, { cookie: header(jar) });
    expect(blocked.status).to.equal(429);
  });

  it('makes an expired password be changed, with the policy’s strength rule', async () => {
    await setPolicy({ passwordExpiryDays: 1, passwordMinStrength: 'strong' });
    stack.core.clock.advance(2 * 24 * 3600_000);
    const { reply, jar } = await password();
    expect(reply.body.step).to.equal('password-change');
    const weak = await stack.request('POST', '/login/password/change', { password: 'password1' }, { cookie: header(jar) });
    expect(weak.status).to.equal(400);
    expect(weak.body.error.code).to.be.oneOf(['password-too-weak', 'password-length']);
    const strong = await stack.request('POST', '/login/password/change', { password: 'correct horse battery staple 1927' }, { cookie: header(jar) });
    expect(strong.body).to.include({ loggedIn: true });
    expect((await stack.request('POST', '/login/password', { ...BOB, password: 'correct horse battery staple 1927' })).body).to.include({ loggedIn: true });
    const stale = await stack.request('POST', '/login/password/change', { password: 'another strong one 8831!' }, { cookie: header(jar) });
    expect(stale.body.error.code).to.equal('login-step-expired');
  });

  it('lets members of an SSO-optional policy choose', async () => {
    expect((await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}`, { sso: 'optional', twoStep: 'optional' })).status).to.equal(200);
    expect((await stack.request('POST', '/login', { email: 'alice@acme.com', method: 'password' })).body).to.include({ step: 'password', ssoToo: true });
    expect((await stack.request('POST', '/login', { email: 'alice@acme.com' })).status, 'SSO by default').to.equal(302);
    expect((await password({ email: 'alice@acme.com', password: 'alice-long-passphrase-1' })).reply.body).to.include({ loggedIn: true });
    expect((await ssoLogin(stack, 'alice@acme.com')).callback.status).to.equal(303);
  });

  it('marks every cookie Secure when the gateway is served over HTTPS', async () => {
    await stack.close();
    stack = await startStack({ publicUrl: 'https://gateway.acme.test' });
    const reply = await stack.request('POST', '/login/password', BOB);
    expect(reply.body).to.include({ loggedIn: true });
    const session = reply.headers.getSetCookie().find((c) => c.startsWith('rehearsal_gw_session='))!;
    expect(session)
      .to.match(/; Secure/)
      .and.match(/HttpOnly/)
      .and.match(/SameSite=Lax/);
    const page = await stack.request('GET', '/login', undefined, { accept: 'text/html' });
    expect(page.headers.getSetCookie().find((c) => c.startsWith('rehearsal_gw_csrf='))).to.match(/; Secure/);
    // The product API clears an ended session's cookie with the same attributes.
    const ended = await stack.request('GET', '/api/products/jira', undefined, { cookie: 'rehearsal_gw_session=forged.value' });
    expect(ended.headers.getSetCookie()[0]).to.match(/^rehearsal_gw_session=; .*HttpOnly; SameSite=Lax; Secure$/);
  });
});
