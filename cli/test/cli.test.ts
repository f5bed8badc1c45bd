import { expect } from 'chai';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answering, BIN, ROOT, rehearsal, startUp, stop, type Ran } from './support/cli-process.ts';

describe('the rehearsal command', function () {
  this.timeout(120_000);
  let dataDir: string;
  let up: ChildProcess;
  let described: any;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rehearsal-cli-'));
    ({ up, described } = await startUp(['--scenario', 'examples/acme.yaml'], dataDir));
  });

  after(async () => {
    await stop(up);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('up --json prints every URL and credential once the stack is ready', async () => {
    expect(described.urls.gateway).to.match(/^http:\/\/localhost:\d+$/);
    expect(described.urls.login).to.equal(`${described.urls.gateway}/login`);
    expect(described.credentials.coreAdminKey).to.have.length.greaterThan(16);
    expect(described.credentials.gatewayAdminKey).to.have.length.greaterThan(16);
    const idpDirectory = described.directories.find((d: { kind: string }) => d.kind === 'idp');
    expect(idpDirectory.scim.baseUrl).to.equal(`${described.urls.core}/scim/directory/${idpDirectory.id}`);
    expect(idpDirectory.scim.token).to.match(/^rhsc_/);
    expect(idpDirectory.saml).to.include({ idpMetadataUrl: `${described.urls.idp}/saml/metadata` });
    expect(idpDirectory.saml.acsUrl).to.equal(`${described.urls.gateway}/login/callback?connection=saml-${idpDirectory.saml.connectionId}`);
    expect(described.people.find((p: { email: string }) => p.email === 'alice@acme.com')).to.include({
      policy: 'SSO pilot',
      login: 'SSO via the mock IdP',
      password: 'alice-pass',
    });
    // What it printed works: the SCIM token opens the SCIM server, the admin key the admin API.
    const scim = await fetch(`${idpDirectory.scim.baseUrl}/Users?filter=${encodeURIComponent('userName eq "alice@acme.com"')}`, {
      headers: { authorization: `Bearer ${idpDirectory.scim.token}` },
    });
    expect((await scim.json()).totalResults).to.equal(1);
    const orgs = await fetch(`${described.urls.core}/api/orgs`, { headers: { authorization: `Bearer ${described.credentials.coreAdminKey}` } });
    expect(orgs.status).to.equal(200);
    // The console, and a link that signs a browser in to it once.
    expect(described.urls.console).to.match(/^http:\/\/localhost:\d+$/);
    expect(described.urls.consoleSignIn).to.match(new RegExp(`^${described.urls.console}/sign-in/once/[\\w-]{43}$`));
    const signedIn = await fetch(described.urls.consoleSignIn, { redirect: 'manual' });
    expect(signedIn.status).to.equal(303);
    expect(signedIn.headers.get('set-cookie')).to.match(/^rehearsal_console_session=/);
    expect((await fetch(described.urls.consoleSignIn, { redirect: 'manual' })).status).to.equal(410);
  });

  it('login: the pilot user goes through the IdP; the path, outcome and reason are printed', async () => {
    const human = await rehearsal(['login', 'alice@acme.com'], dataDir);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.match(/alice@acme\.com\s+sso > idp > acs\s+logged-in\s+sso-login/);
    const json = JSON.parse((await rehearsal(['login', 'alice@acme.com', '--then', '/api/products/trello', '--json'], dataDir)).stdout);
    expect(json.page.status).to.equal(200);
    expect(json.page.body.boards.map((b: { name: string }) => b.name)).to.deep.equal(['Roadmap']);
    expect(json).not.to.have.property('trace');
  });

  it('login --trace: the AuthnRequest and the Response, decoded, and the checks the gateway applied', async () => {
    const traced = await rehearsal(['login', 'alice@acme.com', '--trace', '--json'], dataDir);
    expect(traced.code).to.equal(0);
    const { trace } = JSON.parse(traced.stdout);
    expect(trace.authnRequest.binding).to.equal('redirect');
    expect(trace.authnRequest.xml)
      .to.match(/^(<\?xml[^>]*>)?<samlp:AuthnRequest /)
      .and.to.contain('/login/callback?connection=saml-');
    expect(trace.response.xml).to.contain('<samlp:Response ').and.to.contain('>alice@acme.com</NameID>');
    expect(trace.response.xml).to.contain(`InResponseTo="${/ID="([^"]+)"/.exec(trace.authnRequest.xml)![1]}"`);
    expect(trace.acs).to.deep.equal({ status: 303 });
    expect(trace.checks).to.include.members([
      'status-success',
      'one-assertion',
      'assertion-signed',
      'audience',
      'time-window',
      'request-outstanding',
      'same-browser',
      'signature',
      'assertion-not-replayed',
      'policy-allows-connection',
    ]);
    expect(trace.checks.indexOf('signature')).to.be.greaterThan(trace.checks.indexOf('algorithms'));
    const human = await rehearsal(['login', 'alice@acme.com', '--trace'], dataDir);
    expect(human.stdout).to.contain('AuthnRequest (redirect):').and.to.contain('ACS: 303; checks passed: size, no-doctype');
  });

  it('login: exit 1 with the reason when a factor is missing or wrong', async () => {
    const missing = await rehearsal(['login', 'carol@acme.com', '--json'], dataDir);
    expect(missing.code).to.equal(1);
    expect(JSON.parse(missing.stdout)).to.include({ outcome: 'input-needed', reason: 'password-required' });
    const wrong = await rehearsal(['login', 'carol@acme.com', '--password', 'nope', '--json'], dataDir);
    expect(wrong.code).to.equal(1);
    expect(JSON.parse(wrong.stdout)).to.include({ outcome: 'refused', reason: 'password-invalid' });
    // carol's policy (the local directory's default, from "Everyone else") makes two-step verification mandatory.
    const enrol = await rehearsal(['login', 'carol@acme.com', '--password', 'carol-pass-123', '--json'], dataDir);
    expect(JSON.parse(enrol.stdout)).to.include({ outcome: 'input-needed', reason: 'two-step-enrolment-required' });
    const ok = await rehearsal(['login', 'carol@acme.com', '--password', 'carol-pass-123', '--enrol', '--json'], dataDir);
    expect(JSON.parse(ok.stdout)).to.include({ outcome: 'logged-in', reason: 'two-step-enrolled' });
  });

  it('clock: advance moves every service together; a bad duration is a refusal that moves nothing', async () => {
    const before = JSON.parse((await rehearsal(['clock', 'show', '--json'], dataDir)).stdout);
    const advanced = await rehearsal(['clock', 'advance', '31m', '--json'], dataDir);
    expect(advanced.code).to.equal(0);
    const after = JSON.parse(advanced.stdout);
    for (const service of ['core', 'idp', 'gateway']) expect(after[service].offsetMs - before[service].offsetMs).to.equal(31 * 60_000);
    const bad = await rehearsal(['clock', 'advance', 'soon', '--json'], dataDir);
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.stdout).error.code).to.equal('invalid-duration');
    const unchanged = JSON.parse((await rehearsal(['clock', 'show', '--json'], dataDir)).stdout);
    for (const service of ['core', 'idp', 'gateway']) expect(unchanged[service].offsetMs).to.equal(after[service].offsetMs);
  });

  it('report rollout: a preview that locks someone out exits 1 and names the reason', async () => {
    const locked = await rehearsal(['report', 'rollout', 'SSO pilot', '--add', 'carol@acme.com'], dataDir);
    expect(locked.code).to.equal(1);
    expect(locked.stdout).to.match(/carol@acme\.com.*LOCKED OUT: no-identity-in-idp-directory/);
    const fine = await rehearsal(['report', 'rollout', 'SSO pilot', '--add', 'bob@acme.com', '--json'], dataDir);
    expect(fine.code).to.equal(0);
    expect(JSON.parse(fine.stdout).summary).to.include({ affected: 1, lockedOut: 0 });
    const unknown = await rehearsal(['report', 'rollout', 'No such policy'], dataDir);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('No policy named "No such policy"');
  });

  it('report rollout --apply: a clean preview is applied, one that locks someone out changes nothing', async () => {
    const members = async () => {
      const state = JSON.parse((await rehearsal(['report', 'policies', '--json'], dataDir)).stdout) as {
        name: string;
        memberCount?: number;
        members?: number;
      }[];
      const pilot = state.find((p) => p.name === 'SSO pilot')!;
      return pilot.memberCount ?? pilot.members;
    };
    const before = await members();
    const refused = await rehearsal(['report', 'rollout', 'SSO pilot', '--add', 'carol@acme.com', '--apply', '--json'], dataDir);
    expect(refused.code).to.equal(1);
    expect(JSON.parse(refused.stdout)).to.include({ applied: false });
    expect(await members()).to.equal(before);
    const bobBefore = JSON.parse((await rehearsal(['login', 'bob@acme.com', '--method', 'password', '--password', 'bob-pass', '--json'], dataDir)).stdout);
    expect(bobBefore.path[0], 'SSO optional: bob may try a password').to.equal('password');
    const applied = await rehearsal(['report', 'rollout', 'SSO pilot', '--add', 'bob@acme.com', '--apply'], dataDir);
    expect(applied.code).to.equal(0);
    expect(applied.stdout).to.contain('Applied to "SSO pilot"');
    expect(await members()).to.equal(Number(before) + 1);
    const bobAfter = JSON.parse((await rehearsal(['login', 'bob@acme.com', '--method', 'password', '--password', 'bob-pass', '--json'], dataDir)).stdout);
    expect(bobAfter).to.include({ outcome: 'logged-in', reason: 'sso-login' });
  });

  it('report billing (SCIM-made Trello accounts bill from their first login) and policies', async () => {
    const billing = JSON.parse((await rehearsal(['report', 'billing', '--accounts', '--json'], dataDir)).stdout);
    const reasons = Object.fromEntries(billing.accounts.map((a: { email: string; reason: string }) => [a.email, a.reason]));
    // alice and bob logged in above (their first logins) and so became billable for their Trello accounts.
    expect(reasons).to.deep.equal({
      'alice@acme.com': 'billable-product-access',
      'bob@acme.com': 'billable-product-access',
      'carol@acme.com': 'trello-no-workspace',
      'root@acme.com': 'billable-product-access',
    });
    expect(billing.billableCount).to.equal(3);
    const policies = await rehearsal(['report', 'policies'], dataDir);
    expect(policies.stdout).to.match(/SSO pilot\s+Mock IdP\s+enforced\s+idp\s+60m/);
  });

  it('provision plan shows nothing to do after the first cycle; run succeeds', async () => {
    const plan = JSON.parse((await rehearsal(['provision', 'plan', '--json'], dataDir)).stdout);
    expect(plan.users.filter((u: { operation: string }) => u.operation !== 'none')).to.deep.equal([]);
    const run = await rehearsal(['provision', 'run', '--json'], dataDir);
    expect(run.code).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ status: 'succeeded', writes: 0 });
  });

  it('provision plan says when a user deleted at the IdP gets its SCIM DELETE (entra: after the soft-delete period)', async () => {
    expect((await fetch(`${described.urls.idp}/api/users/bob@acme.com`, { method: 'DELETE' })).status).to.equal(204);
    const plan = await rehearsal(['provision', 'plan'], dataDir);
    expect(plan.code).to.equal(0);
    expect(plan.stdout).to.match(/bob@acme\.com\s+deprovision\s+active/);
    const due = JSON.parse((await rehearsal(['provision', 'plan', '--json'], dataDir)).stdout).users.find(
      (u: { user: string }) => u.user === 'bob@acme.com',
    ).deleteAfter;
    // Thirty days from the deletion on the IdP's clock (which earlier tests moved).
    const idpNow = Date.parse((await (await fetch(`${described.urls.idp}/_rehearsal/clock`)).json()).now);
    expect(Date.parse(due) - idpNow).to.be.within(30 * 86_400_000 - 60_000, 30 * 86_400_000);
    expect(plan.stdout).to.contain(`bob@acme.com: deleted at the IdP, so disabled now; its SCIM DELETE follows once the soft-delete period ends (${due}).`);
  });

  it('scenario validate: exit 4 with file:line:column: path for a bad file, 0 for a good one', async () => {
    const bad = join(dataDir, 'bad.yaml');
    writeFileSync(bad, 'organization: {name: Acme, admins: [root@acme.com]}\npolicies:\n  - {name: P, sso: sideways}\n');
    const refused = await rehearsal(['scenario', 'validate', bad], dataDir);
    expect(refused.code).to.equal(4);
    expect(refused.stderr).to.contain(`${bad}:3:20: policies.0.sso:`);
    const good = await rehearsal(['scenario', 'validate', 'examples/billing-surprise.yaml', '--json'], dataDir);
    expect(good.code).to.equal(0);
    expect(JSON.parse(good.stdout)).to.include({ valid: true, idpUsers: 4005, accounts: 4006 });
  });

  it('usage errors exit 2; without a running stack, 3', async () => {
    expect((await rehearsal(['frobnicate'], dataDir)).code).to.equal(2);
    expect((await rehearsal(['login'], dataDir)).code).to.equal(2);
    expect((await rehearsal(['login', 'a@acme.com', '--frob'], dataDir)).code).to.equal(2);
    const none = await rehearsal(['clock', 'show'], join(dataDir, 'nowhere'));
    expect(none.code).to.equal(3);
    expect(none.stderr).to.contain('No running stack');
  });

  it('up --replicas says what it needs before starting anything: processes, both URLs, a sensible count', async () => {
    const db = ['--database-url', 'postgres://rehearsal@127.0.0.1:1/rehearsal'];
    const redis = ['--redis-url', 'redis://127.0.0.1:1'];
    const cases: [string[], RegExp][] = [
      [['up', '--replicas', '2', ...db, ...redis], /--replicas runs each replica as its own process: add --processes/],
      [['up', '--processes', '--replicas', '2', ...redis], /--replicas needs --database-url/],
      [['up', '--processes', '--replicas', '2', ...db], /--replicas needs --redis-url/],
      [['up', '--processes', '--replicas', '0', ...db, ...redis], /--replicas must be a whole number from 1 to 8/],
      [['up', '--processes', '--replicas', 'two', ...db, ...redis], /--replicas must be a whole number from 1 to 8/],
    ];
    // Whatever servers npm test's second run names in the environment: these cases name their own, or none.
    const unset = { ...process.env, DATABASE_URL: '', REDIS_URL: '' };
    for (const [args, message] of cases) {
      const refused = await rehearsal(args, join(dataDir, 'replicas'), unset);
      expect(refused.code, args.join(' ')).to.equal(2);
      expect(refused.stderr).to.match(message);
      expect(existsSync(join(dataDir, 'replicas', 'stack.json'))).to.equal(false);
    }
  });

  it('reset empties every service and applies the scenario again; clocks go back to real time', async () => {
    const reset = await rehearsal(['reset', '--json'], dataDir);
    expect(reset.code).to.equal(0);
    const clocks = JSON.parse((await rehearsal(['clock', 'show', '--json'], dataDir)).stdout);
    for (const service of ['core', 'idp', 'gateway']) expect(clocks[service].offsetMs).to.equal(0);
    const orgs = await (await fetch(`${described.urls.core}/api/orgs`, { headers: { authorization: `Bearer ${described.credentials.coreAdminKey}` } })).json();
    expect(orgs).to.have.length(1);
    expect((await rehearsal(['login', 'alice@acme.com'], dataDir)).code).to.equal(0);
  });

  it('stopping up removes stack.json', async () => {
    await stop(up);
    expect(existsSync(join(dataDir, 'stack.json'))).to.equal(false);
  });
});

describe('rehearsal up --processes', function () {
  this.timeout(120_000);
  it('runs each service as its own process, and stops them all when it stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rehearsal-cli-'));
    const { up, described } = await startUp(['--processes', '--scenario', 'examples/acme.yaml'], dataDir);
    try {
      expect(described.mode).to.equal('processes');
      expect(JSON.parse((await rehearsal(['login', 'alice@acme.com', '--json'], dataDir)).stdout)).to.include({ reason: 'sso-login' });
      const pids = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')).pids as Record<string, number>;
      expect(Object.keys(pids).sort()).to.deep.equal(['console', 'core', 'gateway', 'idp']);
      expect(new Set(Object.values(pids)).size).to.equal(4);
      expect((await fetch(`${described.urls.console}/healthz`)).status).to.equal(200);
      expect((await fetch(described.urls.consoleSignIn, { redirect: 'manual' })).status).to.equal(303);
    } finally {
      await stop(up);
      rmSync(dataDir, { recursive: true, force: true });
    }
    for (const url of [described.urls.core, described.urls.idp, described.urls.gateway, described.urls.console]) {
      expect(await answering(url), url).to.equal('stopped');
    }
  });
});

describe('rehearsal up: keys, configuration errors, help, dead services (issue 13.10-12)', function () {
  this.timeout(180_000);
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'rehearsal-cli-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** `up` with an environment of its own (`startUp` passes this process's). */
  async function upWith(env: Record<string, string>, args: string[] = []): Promise<{ up: ChildProcess; described: any }> {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return await startUp(args, dataDir);
    } finally {
      for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }

  it('CORE_ADMIN_KEY works with a fresh data directory and with one that holds a generated key: one source of truth', async () => {
    const key = 'admin-key-from-the-environment-24';
    const fresh = await upWith({ CORE_ADMIN_KEY: key }, ['--scenario', 'examples/acme.yaml']);
    try {
      expect(fresh.described.credentials.coreAdminKey).to.equal(key);
      expect((await rehearsal(['report', 'billing', '--json'], dataDir)).code).to.equal(0);
    } finally {
      await stop(fresh.up);
    }
    // Again, the data directory now holding files from a run without the variable.
    const plain = await startUp(['--scenario', 'examples/acme.yaml'], dataDir);
    const generated = plain.described.credentials.coreAdminKey;
    await stop(plain.up);
    expect(generated).not.to.equal(key);
    const again = await upWith({ CORE_ADMIN_KEY: key }, ['--scenario', 'examples/acme.yaml']);
    try {
      expect(again.described.credentials.coreAdminKey).to.equal(key);
      const orgs = await fetch(`${again.described.urls.core}/api/orgs`, { headers: { authorization: `Bearer ${key}` } });
      expect(orgs.status).to.equal(200);
      expect((await rehearsal(['report', 'policies', '--json'], dataDir)).code).to.equal(0);
    } finally {
      await stop(again.up);
    }
  });

  it('a bad setting stops up with the problem in a sentence and exit 2, without a stack trace or the secret', async () => {
    for (const processes of [false, true]) {
      const ran = await new Promise<Ran>((resolve) => {
        execFile(
          process.execPath,
          [BIN, 'up', '--data-dir', dataDir, ...(processes ? ['--processes'] : []), '--core-port', '1'],
          { cwd: ROOT, env: { ...process.env, CORE_ADMIN_KEY: 'short' } },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(ran.code, ran.stderr).to.equal(2);
      expect(ran.stderr).to.contain('CORE_ADMIN_KEY: must be at least 16 characters (got 5 characters)');
      expect(ran.stderr).not.to.match(/\n\s+at .+\(|short/);
    }
  });

  it('every command answers --help with its usage, exit 0', async () => {
    for (const command of ['up', 'scenario', 'provision', 'login', 'clock', 'report', 'reset']) {
      const help = await rehearsal([command, '--help'], dataDir);
      expect(help.code, command).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^Usage: rehearsal ${command}`));
    }
    expect((await rehearsal(['up', '-h'], dataDir)).stdout).to.contain('--processes');
  });

  it('up --processes says which service died and why, restarts it, and stops the stack (exit 1, stack.json gone) once it keeps dying', async () => {
    const { up, described } = await upWith({ REHEARSAL_RESTART_BACKOFF_MS: '0' }, ['--processes', '--scenario', 'examples/acme.yaml']);
    let stderr = '';
    up.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
    const pids = () => JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')).pids as Record<string, number>;
    const first = pids().idp!;
    process.kill(first, 'SIGKILL');
    // Back once `up` says so and the stack file holds the new process.
    await new Promise<void>((resolve) => {
      const check = () => (stderr.includes('idp is running again') ? resolve() : up.stderr!.once('data', check));
      check();
    });
    expect(stderr).to.contain('idp killed by SIGKILL. Its last lines:');
    expect(stderr).to.contain('restarting idp in 0 s');
    expect(pids().idp).not.to.equal(first);
    // It carries on from its state file: the scenario's users are still there, and logins work.
    expect(JSON.parse((await rehearsal(['login', 'alice@acme.com', '--json'], dataDir)).stdout)).to.include({ reason: 'sso-login' });
    const users = await (await fetch(`${described.urls.idp}/api/users`)).json();
    expect(users.users.map((u: { email: string }) => u.email).sort()).to.deep.equal(['alice@acme.com', 'bob@acme.com']);

    process.kill(pids().idp!, 'SIGKILL');
    expect(await exited).to.equal(1);
    expect(stderr).to.contain('idp is not restarted again: stopping the stack.');
    expect(stderr).to.match(/the stack stopped: idp died 2 times/);
    expect(existsSync(join(dataDir, 'stack.json'))).to.equal(false);
    for (const url of [described.urls.core, described.urls.gateway]) {
      expect(await answering(url), url).to.equal('stopped');
    }
  });
});
