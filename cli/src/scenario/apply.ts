import { pool } from '@rehearsal/runtime';
import { ServiceClient, type Created } from '@rehearsal/runtime/client';
import { readFileSync } from 'node:fs';
import { policySettings } from './policy-settings.ts';
import { expand, placements } from './references.ts';
import type { AccountEntry, Scenario } from './schema.ts';

/** Where the scenario was applied, and with which keys. */
export interface StackEndpoints {
  urls: { core: string; idp: string; gateway: string };
  coreAdminKey: string;
}

/** What applying a scenario made, for `up --json` and for test suites. */
export interface AppliedScenario {
  orgId: string;
  directories: {
    id: string;
    name: string;
    kind: 'local' | 'idp';
    scim?: { baseUrl: string; token: string };
    saml?: { connectionId: string; spEntityId: string; acsUrl: string; idpMetadataUrl: string };
  }[];
  policies: { id: string; name: string; directoryId: string; isDefault: boolean }[];
  /** The mock IdP's provisioning target for the IdP directory. */
  provisioningTarget?: string;
  trello?: { enterpriseId: string; workspaces: Record<string, string> };
}

export type Progress = (step: string, done?: number, total?: number) => void;

/** Requests in flight at once when a scenario creates thousands of IdP users. */
const PARALLEL = 16;
const BATCH = 10_000;
export const PROVISIONING_TARGET = 'core';

const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Creates everything a scenario describes, through the services' own APIs (as
 * an admin would): the organization and its domains, product accounts, Trello,
 * the mock IdP's users and groups, the SAML connection both ways, SCIM
 * provisioning and the first cycle, then the policies and their members.
 * The stack should be empty (`rehearsal reset`).
 */
export async function applyScenario(s: Scenario, stack: StackEndpoints, progress: Progress = () => {}): Promise<AppliedScenario> {
  const core = new ServiceClient('core', stack.urls.core, stack.coreAdminKey);
  const idp = new ServiceClient('mock-idp', stack.urls.idp);

  progress('organization');
  const org = await core.call<Created>('POST', '/api/orgs', {
    name: s.organization.name,
    plan: s.organization.plan,
    subscription: s.organization.subscription,
    admins: s.organization.admins,
  });
  const orgPath = `/api/orgs/${org.id}`;
  const domains: { id: string; name: string }[] = [];
  for (const d of s.domains) domains.push(await claimDomain(core, orgPath, d.name, d.verify));

  // Product accounts that exist before SSO: admins exist already (the organization made them).
  const accounts = expand(s.accounts);
  progress('accounts', 0, accounts.length);
  const admins = new Set(s.organization.admins.map((a) => a.toLowerCase()));
  const profile = ({ email: _e, password: _p, products: _pr, workspaces: _w, active: _a, ...fields }: AccountEntry) => fields;
  const fresh = accounts.filter((a) => !admins.has(a.email.toLowerCase()));
  for (const batch of chunks(fresh, BATCH)) {
    await core.call('POST', '/api/accounts/batch', {
      accounts: batch.map((a) => ({
        email: a.email,
        ...profile(a),
        ...(a.password ? { password: a.password } : {}),
        ...(a.active === false ? { active: false } : {}),
      })),
    });
  }
  for (const a of accounts.filter((a) => admins.has(a.email.toLowerCase()))) {
    const [{ id }] = await core.call<[Created]>('GET', `/api/accounts?email=${encodeURIComponent(a.email)}`);
    if (Object.keys(profile(a)).length) await core.call('PATCH', `/api/accounts/${id}`, profile(a));
    if (a.password) await core.call('PUT', `/api/accounts/${id}/password`, { password: a.password });
  }
  progress('accounts', accounts.length, accounts.length);

  progress('products');
  const plans = new Map(Object.entries(s.products));
  for (const a of accounts) for (const p of a.products ?? []) if (p !== 'trello' && !plans.has(p)) plans.set(p, 'standard');
  for (const [product, plan] of plans) {
    await core.call('PUT', `${orgPath}/products/${product}`, { plan });
    const emails = accounts.filter((a) => a.products?.includes(product as never)).map((a) => a.email);
    for (const batch of chunks(emails, BATCH)) await core.call('POST', `${orgPath}/products/${product}/access`, { emails: batch });
  }

  const trello = await applyTrello(s, core, org.id, accounts);

  const directories: AppliedScenario['directories'] = [];
  const listed = await core.call<{ id: string; name: string; kind: string }[]>('GET', `${orgPath}/directories`);
  const local = listed.find((d) => d.kind === 'local')!;
  directories.push({ id: local.id, name: local.name, kind: 'local' });
  let provisioningTarget: string | undefined;
  if (s.idp) {
    const connected = await connectIdp(s, core, idp, stack, orgPath, domains, progress);
    directories.push(connected);
    provisioningTarget = connected.scim ? PROVISIONING_TARGET : undefined;
  }

  progress('policies');
  const policies = await applyPolicies(s, core, orgPath, directories);
  // Licenses last: a license needs the Atlassian account, which provisioning may have just made.
  if (s.trello?.licenses.length && trello) await core.call('POST', `/api/trello/enterprises/${trello.enterpriseId}/licenses`, { emails: s.trello.licenses });
  progress('done');
  return { orgId: org.id, directories, policies, ...(provisioningTarget ? { provisioningTarget } : {}), ...(trello ? { trello } : {}) };
}

async function applyTrello(s: Scenario, core: ServiceClient, orgId: string, accounts: AccountEntry[]) {
  const trelloEmails = accounts.filter((a) => a.products?.includes('trello')).map((a) => a.email);
  for (const batch of chunks(trelloEmails, BATCH)) await core.call('POST', '/api/trello/accounts/batch', { emails: batch });
  if (!s.trello) return undefined;
  const enterprise = await core.call<Created>('POST', '/api/trello/enterprises', { name: s.trello.enterprise, admins: s.organization.admins });
  if (s.trello.linkToOrganization) await core.call('POST', `/api/trello/enterprises/${enterprise.id}/link`, { orgId, actorEmail: s.organization.admins[0] });
  const workspaces: Record<string, string> = {};
  const declared = [
    ...(s.trello.boards.length ? [{ name: s.trello.enterprise, plan: 'enterprise' as const, inEnterprise: true, boards: s.trello.boards }] : []),
    ...s.trello.workspaces,
  ];
  for (const w of declared) {
    const workspace = await core.call<Created>('POST', '/api/trello/workspaces', {
      name: w.name,
      plan: w.plan,
      ...(w.inEnterprise ? { enterpriseId: enterprise.id } : {}),
    });
    workspaces[w.name] = workspace.id;
    for (const b of w.boards) await core.call('POST', `/api/trello/workspaces/${workspace.id}/boards`, b);
    const members = accounts.filter((a) => a.workspaces?.includes(w.name)).map((a) => a.email);
    for (const batch of chunks(members, BATCH)) await core.call('POST', `/api/trello/workspaces/${workspace.id}/members`, { emails: batch });
  }
  return { enterpriseId: enterprise.id, workspaces };
}

/** The IdP directory in core, the mock IdP's people, SAML trust both ways, and SCIM from the IdP into core. */
/**
 * Claims a domain for the organization and verifies it the way it asks
 * (`dns` or `http`), publishing the record through core's harness, which
 * stands in for the DNS and the web server here.
 */
export async function claimDomain(core: ServiceClient, orgPath: string, name: string, verify: 'dns' | 'http' | 'none'): Promise<{ id: string; name: string }> {
  const domain = await core.call<Created & { name: string; verification: { dns: { value: string }; http: { content: string } } }>(
    'POST',
    `${orgPath}/domains`,
    {
      name,
    },
  );
  if (verify !== 'none') {
    const published = verify === 'dns' ? { txt: domain.verification.dns.value } : { file: domain.verification.http.content };
    await core.call('POST', '/_rehearsal/dns', { domain: name, ...published });
    await core.call('POST', `${orgPath}/domains/${domain.id}/verify`, { method: verify });
  }
  return domain;
}

async function connectIdp(
  s: Scenario,
  core: ServiceClient,
  idp: ServiceClient,
  stack: StackEndpoints,
  orgPath: string,
  domains: { id: string }[],
  progress: Progress,
) {
  const config = s.idp!;
  const directory = await core.call<Created & { name: string }>('POST', `${orgPath}/directories`, { name: config.directory });
  if (config.scim) {
    await core.call('PATCH', `${orgPath}/directories/${directory.id}`, {
      scimFidelity: config.scim.fidelity,
      ...(config.scim.rateLimit ? { scimRateLimit: config.scim.rateLimit } : {}),
    });
  }

  // Groups before their users, nested groups after the groups they hold.
  const pending = [...config.groups];
  const made = new Set<string>();
  while (pending.length) {
    const ready = pending.filter((g) => g.groups.every((child) => made.has(child)));
    if (!ready.length) throw new Error(`idp.groups: a cycle among ${pending.map((g) => g.name).join(', ')}`);
    for (const g of ready) {
      await idp.call('POST', '/api/groups', g);
      made.add(g.name);
      pending.splice(pending.indexOf(g), 1);
    }
  }
  const users = expand(config.users);
  progress('idp users', 0, users.length);
  let created = 0;
  await pool(users, PARALLEL, async (u) => {
    await idp.call('POST', '/api/users', u);
    if (++created % 100 === 0) progress('idp users', created, users.length);
  });
  progress('idp users', users.length, users.length);

  progress('saml connection');
  // Core reads the IdP's metadata, as an admin would hand it over: the mock IdP's, or the external IdP's (URL or file).
  const external = config.metadata;
  const metadataUrl = external ?? `${stack.urls.idp}/saml/metadata`;
  const metadata =
    external === undefined
      ? { xml: (await idp.send<string>('GET', '/saml/metadata', undefined, { accept: 'application/samlmetadata+xml' })).body }
      : /^https?:\/\//i.test(external)
        ? { url: external }
        : { xml: readFileSync(external, 'utf8') };
  const saml = await core.call<Created & { spEntityId: string; acsUrl: string }>('POST', `${orgPath}/directories/${directory.id}/saml/metadata`, {
    ...metadata,
    allowIdpInitiated: config.saml.allowIdpInitiated,
    signAuthnRequests: config.saml.signAuthnRequests,
    wantAssertionsSigned: config.saml.wantAssertionsSigned,
    displayNameFromSaml: config.saml.displayNameFromSaml,
    singleLogout: config.saml.singleLogout,
  });
  // The mock IdP learns the gateway as an admin would teach it: from the SP metadata (an external IdP is taught by you).
  if (external === undefined) await idp.call('POST', '/api/service-providers/import', { url: `${stack.urls.gateway}/saml/${saml.id}/metadata` });
  for (const d of domains) await core.call('PUT', `${orgPath}/domains/${d.id}/directory`, { directoryId: directory.id });

  const applied: AppliedScenario['directories'][number] = {
    id: directory.id,
    name: directory.name,
    kind: 'idp',
    saml: { connectionId: saml.id, spEntityId: saml.spEntityId, acsUrl: saml.acsUrl, idpMetadataUrl: metadataUrl },
  };
  if (config.provisioning) {
    const scim = await core.call<{ baseUrl: string; token: string }>('POST', `${orgPath}/directories/${directory.id}/scim-token`);
    applied.scim = { baseUrl: scim.baseUrl, token: scim.token };
    const { runOnApply, ...target } = config.provisioning;
    await idp.call('POST', '/api/provisioning/targets', {
      id: PROVISIONING_TARGET,
      name: `${s.organization.name} (${config.directory})`,
      baseUrl: scim.baseUrl,
      token: scim.token,
      ...target,
    });
    if (runOnApply) {
      progress('provisioning', 0, users.length);
      const cycle = await idp.call<{ status: string; error?: string; summary?: unknown }>('POST', `/api/provisioning/targets/${PROVISIONING_TARGET}/cycles`, {
        kind: 'initial',
        wait: true,
      });
      if (cycle.status !== 'succeeded')
        throw new Error(`the first provisioning cycle ended ${cycle.status}: ${JSON.stringify(cycle.error ?? cycle.summary ?? '')}`);
      progress('provisioning', users.length, users.length);
    }
  }
  return applied;
}

async function applyPolicies(s: Scenario, core: ServiceClient, orgPath: string, directories: AppliedScenario['directories']) {
  const existing = () => core.call<AppliedScenario['policies']>('GET', `${orgPath}/policies`);
  const directoryId = (kind: 'idp' | 'local') => directories.find((d) => d.kind === kind)!.id;
  // Defaults first: a directory's default holds everyone a later policy does not take.
  const ordered = [...s.policies].sort((a, b) => Number(Boolean(b.default)) - Number(Boolean(a.default)));
  for (const entry of ordered) {
    for (const { directory, policy: p } of placements(entry, s)) {
      const settings = policySettings(p);
      let id: string;
      if (p.default) {
        const current = (await existing()).find((e) => e.isDefault && e.directoryId === directoryId(directory))!;
        await core.call('PATCH', `${orgPath}/policies/${current.id}`, settings);
        id = current.id;
      } else {
        id = (await core.call<Created>('POST', `${orgPath}/policies`, { ...settings, directoryId: directoryId(directory) })).id;
      }
      await addPolicyMembers(core, orgPath, id, p.members ?? []);
    }
  }
  return (await existing()).map(({ id, name, directoryId, isDefault }) => ({ id, name, directoryId, isDefault }));
}

/** Moves accounts into a policy: 20 at a time is core's limit by hand, a CSV takes up to 10,000. */
async function addPolicyMembers(core: ServiceClient, orgPath: string, policyId: string, emails: string[]): Promise<void> {
  if (emails.length > 20) await core.call('POST', `${orgPath}/policies/${policyId}/members/csv`, emails.join('\n'));
  else if (emails.length) await core.call('POST', `${orgPath}/policies/${policyId}/members`, { emails });
}
