import { expect } from 'chai';
import { ADMIN_KEY, ssoLogin, SSO_TRACE_STEPS, startStack, type Stack } from './support/stack.ts';

interface Trace {
  id: string;
  version: number;
  email: string | null;
  method: string;
  outcome: string;
  reason: string | null;
  requestId: string | null;
  steps: { service: string; step: string; reason?: string; xml?: string; checks?: string[] }[];
}

describe('gateway: the trace of recent logins (GET /api/logins)', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack()));
  afterEach(() => stack.close());

  const logins = async (query = '') => {
    const answer = await stack.request('GET', `/api/logins${query}`, undefined, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(answer.status, answer.text).to.equal(200);
    return answer.body as { logins: Trace[]; version: number };
  };

  it('records an SSO login step by step: decision, AuthnRequest, Response, checks, session', async () => {
    const { callback } = await ssoLogin(stack, 'alice@acme.com');
    expect(callback.status).to.equal(303);
    const [trace] = (await logins()).logins;
    expect(trace).to.include({ email: 'alice@acme.com', method: 'sso', outcome: 'logged-in', reason: 'sso-login' });
    expect(trace!.steps.map((s) => `${s.service}:${s.step}`)).to.deep.equal(SSO_TRACE_STEPS);
    expect(trace!.steps[0]!.reason).to.equal('policy-sso-enforced');
    expect(trace!.steps[1]!.xml)
      .to.match(/^(<\?xml[^>]*>)?<samlp:AuthnRequest/)
      .and.to.contain(`ID="${trace!.requestId}"`);
    expect(trace!.steps[2]!.xml).to.contain('<Assertion').and.to.contain(`InResponseTo="${trace!.requestId}"`);
    expect(trace!.steps[3]!.checks).to.include.members(['status-success', 'time-window', 'signature', 'request-answered-once']);
  });

  it('records a refused response with its reason code, and filters by outcome, email and version', async () => {
    await ssoLogin(stack, 'alice@acme.com', { tamper: (xml) => xml.replace('alice@acme.com', 'mallory@acme.com') });
    const { logins: refused, version } = await logins('?outcome=refused');
    expect(refused).to.have.length(1);
    expect(refused[0]).to.include({ outcome: 'refused', email: 'alice@acme.com' });
    expect(refused[0]!.reason).to.match(/^saml-/);
    expect(refused[0]!.steps.at(-1)).to.include({ step: 'refusal' });
    expect((await logins('?outcome=logged-in')).logins).to.deep.equal([]);
    expect((await logins(`?after=${version}`)).logins).to.deep.equal([]);
    await ssoLogin(stack, 'alice@acme.com');
    expect((await logins(`?after=${version}`)).logins.map((t) => t.outcome)).to.deep.equal(['logged-in']);
    expect((await logins('?email=nobody')).logins).to.deep.equal([]);
  });

  it('records password logins from the password on, and refusals of the first step', async () => {
    const wrong = await stack.request('POST', '/login/password', { email: 'bob@acme.com', password: 'nope' }, { accept: 'application/json' });
    expect(wrong.status).to.equal(401);
    const right = await stack.request('POST', '/login/password', { email: 'bob@acme.com', password: 'bob-long-passphrase-1' }, { accept: 'application/json' });
    expect(right.body).to.include({ loggedIn: true });
    const traces = (await logins('?email=bob')).logins;
    expect(traces.map((t) => [t.method, t.outcome, t.reason])).to.deep.equal([
      ['password', 'refused', 'password-invalid'],
      ['password', 'logged-in', 'password-login'],
    ]);
  });

  it('needs the admin key, refuses bad queries with 400, and forgets everything on reset', async () => {
    expect((await stack.request('GET', '/api/logins')).status).to.equal(401);
    expect((await stack.request('GET', '/api/logins', undefined, { authorization: 'Bearer wrong' })).body.error.code).to.equal('admin-key-invalid');
    for (const query of ['?outcome=maybe', '?limit=0', '?after=-1', '?colour=red']) {
      const answer = await stack.request('GET', `/api/logins${query}`, undefined, { authorization: `Bearer ${ADMIN_KEY}` });
      expect(answer.status, query).to.equal(400);
    }
    await ssoLogin(stack, 'alice@acme.com');
    await stack.request('POST', '/_rehearsal/reset', undefined, { authorization: `Bearer ${ADMIN_KEY}` });
    expect((await logins()).logins).to.deep.equal([]);
  });
});
