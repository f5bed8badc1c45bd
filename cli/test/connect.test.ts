import { expect } from 'chai';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdpApp } from '../../mock-idp/src/app.ts';
import { generateCredential } from '@rehearsal/runtime/credentials';
import { rehearsal, startUp, stop } from './support/cli-process.ts';

/**
 * `rehearsal connect idp`: the stack pointed at an IdP it did not start (here a
 * second mock IdP on its own port, standing in for an Okta or Entra tenant),
 * from that IdP's metadata, in one command; then a login through it.
 */
describe('rehearsal connect idp', function () {
  this.timeout(120_000);
  let dataDir: string;
  let up: ChildProcess;
  let described: { urls: { core: string; gateway: string }; credentials: { coreAdminKey: string } };
  let external: Server;
  let externalUrl: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rehearsal-connect-'));
    ({ up, described } = await startUp(['--scenario', 'examples/acme.yaml'], dataDir));
    external = createServer();
    await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
    externalUrl = `http://127.0.0.1:${(external.address() as AddressInfo).port}`;
    const app = createIdpApp({
      publicUrl: externalUrl,
      credential: await generateCredential('tenant.example', new Date()),
      directory: { users: [{ email: 'zoe@example.org', givenName: 'Zoe', surname: 'Quinn', password: 'zoe-pass' }] },
    });
    external.on('request', app);
  });
  after(async () => {
    await stop(up);
    external.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const core = (method: string, path: string, body?: unknown) =>
    fetch(described.urls.core + path, {
      method,
      headers: { authorization: `Bearer ${described.credentials.coreAdminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  it('connects from the metadata URL, routes the domain, prints what to enter at the IdP, and a login goes through that IdP', async () => {
    const connected = await rehearsal(
      ['connect', 'idp', '--metadata', `${externalUrl}/saml/metadata`, '--domain', 'example.org', '--directory', 'Tenant', '--json'],
      dataDir,
    );
    expect(connected.code, connected.stderr).to.equal(0);
    const result = JSON.parse(connected.stdout);
    expect(result.connection).to.include({ idpEntityId: `${externalUrl}/saml/metadata`, ssoUrl: `${externalUrl}/saml/sso`, sloUrl: `${externalUrl}/saml/slo` });
    expect(result.serviceProvider.spEntityId).to.equal(`${described.urls.gateway}/saml/${result.directory.id}`);
    expect(result.serviceProvider.metadataUrl).to.equal(`${described.urls.gateway}/saml/${result.directory.id}/metadata`);
    expect(result.domains).to.deep.equal(['example.org']);

    // The admin's side at the IdP: the gateway's SP metadata, imported by URL; a person with an account in its policy.
    const imported = await fetch(`${externalUrl}/api/service-providers/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: result.serviceProvider.metadataUrl }),
    });
    expect(imported.status).to.equal(201);
    const orgId = (await core('GET', '/api/orgs')).body[0].id;
    const directory = (await core('GET', `/api/orgs/${orgId}/directories/${result.directory.id}`)).body;
    expect((await core('POST', '/api/accounts', { email: 'zoe@example.org' })).status).to.equal(201);
    expect((await core('POST', `/api/orgs/${orgId}/policies/${directory.defaultPolicyId}/members`, { emails: ['zoe@example.org'] })).status).to.equal(200);

    // SP-initiated, as a browser: the gateway sends zoe to the external IdP, whose answer the gateway takes.
    const start = await fetch(`${described.urls.gateway}/login?email=zoe%40example.org`, { redirect: 'manual' });
    const location = start.headers.get('location')!;
    expect(location.startsWith(`${externalUrl}/saml/sso?SAMLRequest=`)).to.equal(true);
    const issued = await (
      await fetch(`${externalUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sp: result.serviceProvider.spEntityId, user: 'zoe@example.org', authnRequest: location }),
      })
    ).json();
    const browser = start.headers
      .getSetCookie()
      .find((c) => c.startsWith('rehearsal_gw_authn='))!
      .split(';')[0]!;
    const acs = await fetch(issued.acsUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser },
      body: `SAMLResponse=${encodeURIComponent(issued.samlResponse)}`,
    });
    expect(acs.status, await acs.text()).to.equal(303);
  });

  it('applies a scenario whose idp is the external one (idp.metadata), without touching the mock IdP', async () => {
    writeFileSync(join(dataDir, 'tenant-metadata.xml'), await (await fetch(`${externalUrl}/saml/metadata`)).text());
    const scenario = join(dataDir, 'tenant.yaml');
    writeFileSync(
      scenario,
      'organization: {name: Tenant Co, plan: enterprise, admins: [root@example.org]}\ndomains: [{name: example.org}]\nidp: {directory: Tenant, metadata: tenant-metadata.xml}\n',
    );
    const applied = await rehearsal(['scenario', 'apply', scenario, '--json'], dataDir);
    expect(applied.code, applied.stderr + applied.stdout).to.equal(0);
    const { orgId, directories } = JSON.parse(applied.stdout);
    const tenant = directories.find((d: { name: string }) => d.name === 'Tenant');
    const saml = (await core('GET', `/api/orgs/${orgId}/directories/${tenant.id}/saml`)).body;
    expect(saml).to.include({ idpEntityId: `${externalUrl}/saml/metadata`, ssoUrl: `${externalUrl}/saml/sso` });
  });

  it('reads a metadata file, and refuses what it cannot use with the reason', async () => {
    const file = join(dataDir, 'idp.xml');
    writeFileSync(file, await (await fetch(`${externalUrl}/saml/metadata`)).text());
    const fromFile = await rehearsal(['connect', 'idp', '--metadata', file, '--directory', 'Tenant', '--json'], dataDir);
    expect(fromFile.code, fromFile.stderr).to.equal(0);
    writeFileSync(file, '<!DOCTYPE x []><EntityDescriptor/>');
    const refused = await rehearsal(['connect', 'idp', '--metadata', file, '--directory', 'Tenant', '--json'], dataDir);
    expect(refused.code).to.equal(1);
    expect(JSON.parse(refused.stdout).error).to.include({ code: 'metadata-doctype', service: 'core', status: 400 });
    const usage = await rehearsal(['connect', 'idp'], dataDir);
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.contain('--metadata');
    const missing = await rehearsal(['connect', 'idp', '--metadata', join(dataDir, 'nope.xml')], dataDir);
    expect([missing.code, missing.stderr]).to.satisfy(([code, err]: [number, string]) => code === 2 && err.includes('cannot read the metadata file'));
  });
});
