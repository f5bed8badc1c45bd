import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headlessLogin, parseScenario, readScenarioFile, ServiceClient, start, type Stack } from '../src/index.ts';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'acme.yaml');

describe('start(): the stack for test suites, in this process', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await start({ scenario: EXAMPLE });
  });
  after(() => stack?.close());

  const orgs = () => new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey).call<any>('GET', '/api/orgs');

  it('starts the three services and the console on free loopback ports with the scenario applied', async () => {
    expect(stack.mode).to.equal('in-process');
    expect(Object.keys(stack.urls).sort()).to.deep.equal(['console', 'core', 'gateway', 'idp']);
    expect(new Set(Object.values(stack.urls)).size).to.equal(4);
    for (const url of Object.values(stack.urls)) expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    expect(stack.applied!.policies.map((p) => p.name)).to.include.members(['SSO pilot', 'Everyone else']);
    expect((await headlessLogin(stack.urls, 'alice@acme.com')).reason).to.equal('sso-login');
  });

  it('moves every clock together', async () => {
    const frozen = await stack.clock.freeze(new Date('2026-11-23T09:00:00Z'));
    expect(Object.values(frozen).map((c) => c.now)).to.deep.equal(Array(3).fill('2026-11-23T09:00:00.000Z'));
    const later = await stack.clock.advance('31m');
    expect(Object.values(later).map((c) => c.now)).to.deep.equal(Array(3).fill('2026-11-23T09:31:00.000Z'));
  });

  it('reset() empties every service, brings clocks back to real time and applies the scenario again', async () => {
    const before = stack.applied!.orgId;
    await stack.reset();
    const after = await orgs();
    expect(after.map((o: { id: string }) => o.id)).to.deep.equal([stack.applied!.orgId]);
    expect(stack.applied!.orgId).to.not.equal(before);
    expect(Object.values(await stack.clock.show()).every((c) => !c.frozen && c.offsetMs === 0)).to.equal(true);
  });

  it('close() stops the services and removes its temporary data directory', async () => {
    const { urls, dataDir } = stack;
    await stack.close();
    for (const url of Object.values(urls)) {
      const reached = await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      );
      expect(reached, url).to.equal(false);
    }
    expect((await import('node:fs')).existsSync(dataDir)).to.equal(false);
    stack = undefined as unknown as Stack;
  });
});

describe('start(): a scenario whose gateway signs its AuthnRequests', function () {
  this.timeout(60_000);
  it('the IdP learns the certificate from the metadata and requires the signature', async () => {
    const scenario = readScenarioFile(EXAMPLE);
    scenario.idp!.saml.signAuthnRequests = true;
    const stack = await start({ scenario });
    try {
      const connection = stack.applied!.directories.find((d) => d.saml)!.saml!;
      const sp = await new ServiceClient('mock-idp', stack.urls.idp).call<any>('GET', `/api/service-providers/${encodeURIComponent(connection.spEntityId)}`);
      expect(sp).to.include({ wantAuthnRequestsSigned: true });
      expect(sp.certificate).to.be.a('string').and.have.length.greaterThan(100);
      expect(await headlessLogin(stack.urls, 'alice@acme.com')).to.include({ outcome: 'logged-in', reason: 'sso-login' });
    } finally {
      await stack.close();
    }
  });
});

describe('start(): the shipped examples and the rest of the scenario shape', function () {
  this.timeout(180_000);
  const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

  it('the billing surprise: 6 billable before SCIM, 3,406 once the 4,000 portal users are claimed', async () => {
    const stack = await start({ scenario: join(EXAMPLES, 'billing-surprise.yaml') });
    try {
      const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
      const billing = () => core.call<any>('GET', `/api/orgs/${stack.applied!.orgId}/billing?accounts=false`);
      expect(await billing()).to.deep.include({ billableCount: 6, byReason: { 'billable-product-access': 6, 'non-billable-policy': 4000 } });
      const cycle = await new ServiceClient('mock-idp', stack.urls.idp).call<any>(
        'POST',
        `/api/provisioning/targets/${stack.applied!.provisioningTarget}/cycles`,
        { wait: true },
      );
      expect(cycle).to.include({ status: 'succeeded' });
      expect(cycle.counts).to.include({ 'users.create': 4005 });
      expect(await billing()).to.deep.include({ billableCount: 3406, byReason: { 'billable-product-access': 3406, 'jsm-customer-only': 600 } });
    } finally {
      await stack.close();
    }
  });

  it('verifies domains by DNS or by file, or leaves them pending; enables product plans; licenses Trello members', async () => {
    const scenario = parseScenario(`
organization: {name: Globex, plan: enterprise, admins: [hank@globex.com]}
domains:
  - {name: globex.com, verify: http}
  - {name: globex.example, verify: none}
accounts:
  - {email: hank@globex.com, password: hank-pass-123, products: [confluence, trello]}
  - {email: marge@globex.com, password: marge-pass-123, products: [trello], workspaces: [Ops]}
products: {confluence: premium}
trello:
  enterprise: Globex Boards
  licenses: [marge@globex.com]
  workspaces:
    - {name: Ops, plan: standard, boards: [{name: Plans, visibility: workspace}]}
`);
    const stack = await start({ scenario });
    try {
      const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
      const org = `/api/orgs/${stack.applied!.orgId}`;
      const domains = await core.call<{ name: string; status: string }[]>('GET', `${org}/domains`);
      expect(Object.fromEntries(domains.map((d) => [d.name, d.status]))).to.deep.equal({ 'globex.com': 'verified', 'globex.example': 'pending' });
      const products = await core.call<{ product: string; plan: string }[]>('GET', `${org}/products`);
      expect(products.find((p) => p.product === 'confluence')).to.include({ plan: 'premium' });
      const { members } = await core.call<any>('GET', `/api/trello/enterprises/${stack.applied!.trello!.enterpriseId}/members`);
      const marge = members.find((m: { email: string }) => m.email === 'marge@globex.com');
      expect(marge).to.include({ usesSeat: true, seatReason: 'enterprise-license' });
      expect(marge.workspaceIds).to.deep.equal([stack.applied!.trello!.workspaces.Ops]);
      expect(Object.keys(stack.applied!.trello!.workspaces)).to.deep.equal(['Ops']);
    } finally {
      await stack.close();
    }
  });

  it('idp.saml.displayNameFromSaml, idp.scim and idp.provisioning.deprovision reach core and the mock IdP', async () => {
    const scenario = readScenarioFile(join(EXAMPLES, 'acme.yaml'));
    scenario.idp!.saml.displayNameFromSaml = 'family-given';
    scenario.idp!.scim = { fidelity: 'atlassian', rateLimit: { requests: 500, perSeconds: 60 } };
    scenario.idp!.provisioning = { ...scenario.idp!.provisioning!, deprovision: 'delete', softDeletePeriod: '7d' };
    const stack = await start({ scenario });
    try {
      const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
      const idpDirectory = stack.applied!.directories.find((d) => d.saml)!;
      const directory = await core.call<any>('GET', `/api/orgs/${stack.applied!.orgId}/directories/${idpDirectory.id}`);
      expect(directory.scim).to.deep.include({ fidelity: 'atlassian', rateLimit: { requests: 500, perSeconds: 60 } });
      expect(directory.saml).to.include({ displayNameFromSaml: 'family-given' });
      const target = await new ServiceClient('mock-idp', stack.urls.idp).call<any>('GET', `/api/provisioning/targets/${stack.applied!.provisioningTarget}`);
      expect(target).to.include({ deprovision: 'delete', softDeletePeriod: '7d' });
      await headlessLogin(stack.urls, 'alice@acme.com');
      expect((await core.call<any>('GET', '/api/accounts?email=alice@acme.com'))[0].displayName).to.equal('Liddell Alice');
    } finally {
      await stack.close();
    }
  });
});
