import { expect } from 'chai';
import { generateSecret, generateSync } from 'otplib';
import { GATEWAY_KEY, startCore, type TestCore } from '../support/core.ts';

describe('two-step verification for the gateway (POST /api/login/two-step/...)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const call = (path: string, body: unknown) => core.post(`/api/login/two-step/${path}`, body, { key: GATEWAY_KEY });
  const codeAt = (secret: string) => generateSync({ secret, epoch: Math.floor(core.clock.now().getTime() / 1000) });

  it('enrols on a confirmed code, accepts each TOTP step once, and spends recovery codes once', async () => {
    const account = (await core.post('/api/accounts', { email: 'dana@home.example', password: 'a-long-passphrase' })).body;
    const secret = generateSecret();
    expect((await call('enrol', { email: 'dana@home.example', secret, code: '000000' })).body).to.deep.include({ enrolled: false, reason: 'code-invalid' });
    const enrolled = await call('enrol', { email: 'dana@home.example', secret, code: codeAt(secret) });
    expect(enrolled.body).to.include({ enrolled: true, reason: 'enrolled' });
    expect(enrolled.body.recoveryCodes).to.have.length(10);
    expect((await call('enrol', { email: 'dana@home.example', secret, code: codeAt(secret) })).status).to.equal(409);
    expect((await core.get(`/api/accounts/${account.id}`)).body).to.include({ twoStepEnrolled: true, recoveryCodesLeft: 10 });

    // The code used to enrol is spent; the next step's code works once.
    expect((await call('verify', { email: 'dana@home.example', code: codeAt(secret) })).body).to.include({ valid: false, reason: 'code-reused' });
    core.clock.advance(30_000);
    const next = codeAt(secret);
    expect((await call('verify', { email: 'dana@home.example', code: next })).body).to.include({ valid: true, reason: 'totp-valid' });
    expect((await call('verify', { email: 'dana@home.example', code: next })).body).to.include({ valid: false, reason: 'code-reused' });
    expect((await call('verify', { email: 'dana@home.example', code: '123456' })).body).to.include({ valid: false });

    const [recovery] = enrolled.body.recoveryCodes;
    expect((await call('verify', { email: 'dana@home.example', code: recovery })).body).to.deep.equal({
      valid: true,
      reason: 'recovery-code-used',
      recoveryCodesLeft: 9,
    });
    expect((await call('verify', { email: 'dana@home.example', code: recovery })).body).to.include({ valid: false, reason: 'code-invalid' });

    await core.delete(`/api/accounts/${account.id}/two-step`);
    expect((await call('verify', { email: 'dana@home.example', code: codeAt(secret) })).body).to.include({ valid: false, reason: 'two-step-not-enrolled' });
  });

  it('refuses bad input with a 400 and the gateway key only', async () => {
    await core.post('/api/accounts', { email: 'dana@home.example', password: 'a-long-passphrase' });
    expect((await call('enrol', { email: 'dana@home.example', secret: 'not base32!', code: '123456' })).status).to.equal(400);
    expect((await call('enrol', { email: 'nobody@home.example', secret: generateSecret(), code: '123456' })).status).to.equal(404);
    expect((await call('verify', { email: 'dana@home.example' })).status).to.equal(400);
    expect((await core.post('/api/login/two-step/verify', { email: 'dana@home.example', code: '1' }, { key: null })).status).to.equal(401);
  });
});
