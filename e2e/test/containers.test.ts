import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { StartedTestContainer } from 'testcontainers';
import { applyScenario, headlessLogin, readScenarioFile, ServiceClient, StackClock, type AppliedScenario } from '@rehearsal/cli';
import { freePort } from '@rehearsal/runtime/testing';
import { buildImages, dockerMissing, imageOf, TARGETS } from './support/containers.ts';
import { scenarioPath } from './support/e2e-stack.ts';

/**
 * The login stories against the three services as containers: images built
 * from the Dockerfile, started by testcontainers with the host's network (all
 * traffic stays on 127.0.0.1), ready when Docker reports them healthy.
 */
describe('in containers (Dockerfile images, testcontainers)', function () {
  this.timeout(900_000);
  const containers: StartedTestContainer[] = [];
  let urls: { core: string; idp: string; gateway: string; console: string };
  let applied: AppliedScenario;
  let core: ServiceClient;
  const coreAdminKey = randomBytes(24).toString('base64url');
  // Each container has a /data of its own here: the one harness key of the stack comes from the environment.
  const harnessKey = randomBytes(24).toString('base64url');
  const gatewayAdminKey = randomBytes(24).toString('base64url');

  before(async function () {
    const missing = await dockerMissing();
    if (missing) {
      console.log(`    skipped: ${missing}`);
      return this.skip();
    }
    // No registry is reachable: testcontainers must not pull its reaper image. The engine
    // has no bridge network, where testcontainers would look for the host's address.
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
    const { GenericContainer, Wait } = await import('testcontainers');
    await buildImages();
    const [corePort, idpPort, gatewayPort, consolePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    urls = {
      core: `http://localhost:${corePort}`,
      idp: `http://localhost:${idpPort}`,
      gateway: `http://localhost:${gatewayPort}`,
      console: `http://localhost:${consolePort}`,
    };
    const gatewayKey = randomBytes(24).toString('base64url');
    const env: Record<(typeof TARGETS)[number], Record<string, string>> = {
      core: {
        CORE_HOST: '127.0.0.1',
        CORE_PORT: String(corePort),
        CORE_PUBLIC_URL: urls.core,
        GATEWAY_URL: urls.gateway,
        CORE_ADMIN_KEY: coreAdminKey,
        CORE_GATEWAY_KEY: gatewayKey,
      },
      'mock-idp': { IDP_HOST: '127.0.0.1', IDP_PORT: String(idpPort), IDP_PUBLIC_URL: urls.idp },
      gateway: {
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(gatewayPort),
        GATEWAY_PUBLIC_URL: urls.gateway,
        CORE_URL: urls.core,
        CORE_GATEWAY_KEY: gatewayKey,
        GATEWAY_ADMIN_KEY: gatewayAdminKey,
      },
      // The console keeps no key of its own: it calls the others with theirs.
      console: {
        CONSOLE_HOST: '127.0.0.1',
        CONSOLE_PORT: String(consolePort),
        CONSOLE_PUBLIC_URL: urls.console,
        CORE_URL: urls.core,
        IDP_URL: urls.idp,
        GATEWAY_URL: urls.gateway,
        CORE_ADMIN_KEY: coreAdminKey,
        GATEWAY_ADMIN_KEY: gatewayAdminKey,
      },
    };
    for (const target of TARGETS) {
      containers.push(
        await new GenericContainer(imageOf(target))
          .withNetworkMode('host')
          .withEnvironment({ ...env[target], LOG_LEVEL: 'warn', REHEARSAL_HARNESS_KEY: harnessKey })
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(120_000)
          .start(),
      );
    }
    applied = await applyScenario(readScenarioFile(scenarioPath('staged-rollout.yaml')), { urls, coreAdminKey });
    core = new ServiceClient('core', urls.core, coreAdminKey);
  });

  after(async () => {
    await Promise.all(containers.map((c) => c.stop()));
  });

  it('each service runs as the unprivileged user and keeps its keys in the /data volume', async () => {
    for (const [i, container] of containers.entries()) {
      const who = await container.exec(['node', '-e', 'console.log(process.getuid(), require("fs").readdirSync("/data").sort().join(","))']);
      const [uid, files] = who.output.trim().split(' ');
      expect(uid).to.equal('10001');
      if (TARGETS[i] !== 'console') expect(files).to.not.equal('');
    }
  });

  it('the console signs in with a one-time link and shows the organization, through the other containers', async () => {
    const { url } = await new ServiceClient('console', urls.console, coreAdminKey).call<{ url: string }>('POST', '/api/sign-in-links');
    const signedIn = await fetch(url, { redirect: 'manual' });
    expect(signedIn.status).to.equal(303);
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const overview = await fetch(`${urls.console}/orgs/${applied.orgId}`, { headers: { cookie } });
    expect(overview.status).to.equal(200);
    expect(await overview.text()).to.contain('Overview of Acme');
    const logins = await fetch(`${urls.console}/orgs/${applied.orgId}/logins`, { headers: { cookie } });
    expect(logins.status).to.equal(200);
  });

  it('the pilot user logs in through the IdP and sees the Trello boards', async () => {
    const pilot = applied.policies.find((p) => p.name === 'SSO pilot')!;
    await core.call<any>('POST', `/api/orgs/${applied.orgId}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    const login = await headlessLogin(urls, 'alice@acme.com', { then: '/api/products/trello' });
    expect(login).to.include({ outcome: 'logged-in', reason: 'sso-login' });
    expect((login.page!.body as { boards: { name: string }[] }).boards.map((b) => b.name)).to.deep.equal(['Roadmap']);
  });

  it('a password user enrols in two-step verification, and the idle limit ends the session on the clock', async () => {
    const clock = new StackClock([
      new ServiceClient('core', urls.core, harnessKey),
      new ServiceClient('mock-idp', urls.idp, harnessKey),
      new ServiceClient('gateway', urls.gateway, harnessKey),
    ]);
    await clock.freeze();
    const login = await headlessLogin(urls, 'carol@acme.com', { password: 'carol-pass-123', enrol: true });
    expect(login).to.include({ outcome: 'logged-in', reason: 'two-step-enrolled' });
    const gateway = new ServiceClient('gateway', urls.gateway);
    expect((await gateway.send<any>('GET', '/api/products/trello', undefined, { cookie: login.cookie! })).status).to.equal(200);
    await clock.advance('31m');
    const expired = await gateway.send<any>('GET', '/api/products/trello', undefined, { cookie: login.cookie! });
    expect([expired.status, expired.body.error.code]).to.deep.equal([401, 'idle-timeout']);
  });

  it('keeps the harness shut to anyone without its key, though the container listens on every interface by default', async () => {
    for (const base of [urls.core, urls.idp, urls.gateway]) {
      const reset = await new ServiceClient('any', base).send<any>('POST', '/_rehearsal/reset');
      expect(reset.status, base).to.equal(401);
      const clock = await new ServiceClient('any', base).send<any>('POST', '/_rehearsal/clock', { advance: '30d' });
      expect(clock.status, base).to.equal(401);
    }
    expect((await core.send<any>('GET', `/api/orgs/${applied.orgId}`)).status, 'nothing was wiped').to.equal(200);
  });

  it('a refusal is a reason code, from the container as from the process', async () => {
    const refused = await headlessLogin(urls, 'carol@acme.com', { password: 'wrong' });
    expect(refused).to.include({ outcome: 'refused', reason: 'password-invalid' });
  });
});
