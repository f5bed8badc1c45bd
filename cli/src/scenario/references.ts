import { checkPolicy, defaultPolicySettings, hasGuard } from '@rehearsal/core/inputs';
import { policySettings } from './policy-settings.ts';
import type { Scenario } from './schema.ts';

/** Core's policy fields, named as the scenario file names them. */
const SCENARIO_FIELD: Record<string, string> = { idleMinutes: 'idleSession', sessionExpiryMinutes: 'sessionExpiry' };

/** A `repeat` entry stands for `repeat` entries with `{n}` (or `{n:W}`, zero-padded) replaced by 1..repeat. */
export function expand<T extends { email: string }>(entries: (T | (Omit<T, 'email'> & { repeat: number; email: string }))[]): T[] {
  return entries.flatMap((entry) => {
    if (!('repeat' in entry)) return [entry];
    const { repeat, ...template } = entry;
    return Array.from({ length: repeat }, (_, i) => fill(template, i + 1) as T);
  });
}

function fill(value: unknown, n: number): unknown {
  if (typeof value === 'string') return value.replace(/\{n(?::(\d))?\}/g, (_, width?: string) => String(n).padStart(Number(width ?? 0), '0'));
  if (Array.isArray(value)) return value.map((v) => fill(v, n));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, n)]));
  return value;
}

export interface ReferenceProblem {
  path: (string | number)[];
  message: string;
}

/** What a schema cannot see: names and emails that must refer to something declared elsewhere in the file. */
export function crossReferenceProblems(s: Scenario): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });

  const idpUsers = expand(s.idp?.users ?? []);
  const accounts = expand(s.accounts);
  const groupNames = new Set((s.idp?.groups ?? []).map((g) => g.name));
  const workspaceNames = new Set((s.trello?.workspaces ?? []).map((w) => w.name));

  if (s.idp?.metadata) {
    const mockOnly = (['users', 'groups', 'provisioning'] as const).filter((k) => (Array.isArray(s.idp![k]) ? s.idp![k].length > 0 : s.idp![k] !== undefined));
    for (const k of mockOnly) add(['idp', k], `an external IdP (idp.metadata) keeps its own ${k}: remove idp.${k}, or idp.metadata to use the mock IdP`);
  }

  const seen = new Map<string, number>();
  idpUsers.forEach((u, i) => {
    const email = u.email.toLowerCase();
    if (seen.has(email)) add(['idp', 'users', i, 'email'], `${u.email} is declared twice (first at idp.users.${seen.get(email)})`);
    seen.set(email, i);
  });
  (s.idp?.users ?? []).forEach((u, i) =>
    (u.groups ?? []).forEach((g, j) => {
      if (!groupNames.has(g)) add(['idp', 'users', i, 'groups', j], `group "${g}" is not declared under idp.groups`);
    }),
  );
  (s.idp?.groups ?? []).forEach((g, i) =>
    g.groups.forEach((child, j) => {
      if (!groupNames.has(child)) add(['idp', 'groups', i, 'groups', j], `group "${child}" is not declared under idp.groups`);
    }),
  );

  const accountEmails = new Set<string>();
  s.accounts.forEach((a, i) => {
    (a.workspaces ?? []).forEach((w, j) => {
      if (!workspaceNames.has(w)) add(['accounts', i, 'workspaces', j], `workspace "${w}" is not declared under trello.workspaces`);
    });
    if (a.workspaces?.length && !a.products?.includes('trello'))
      add(['accounts', i, 'workspaces'], 'only accounts with the trello product can be in Trello workspaces');
  });
  accounts.forEach((a) => accountEmails.add(a.email.toLowerCase()));

  // Who can be named as a policy member or licensee: an account, an admin, or an IdP user SCIM will create.
  const provisioned = s.idp?.provisioning ? new Set(idpUsers.map((u) => u.email.toLowerCase())) : new Set<string>();
  const known = (email: string) => accountEmails.has(email) || provisioned.has(email) || s.organization.admins.some((a) => a.toLowerCase() === email);

  // What needs Atlassian Guard, as core will refuse it: caught here, with the place in the file.
  if (!hasGuard(s.organization)) {
    const why = `needs Atlassian Guard: set organization.subscription: guard (or plan: enterprise, which includes it)`;
    if (s.idp) add(['idp'], `SAML single sign-on and user provisioning ${why}`);
    if (s.policies.length > 1 || s.policies.some((p) => !p.default)) add(['policies'], `more than one authentication policy ${why}`);
    s.policies.forEach((p, i) => {
      if (p.billable === false) add(['policies', i, 'billable'], `non-billable policies ${why}`);
    });
  }

  const defaults = new Map<string, number>();
  s.policies.forEach((p, i) => {
    if (p.directory === 'idp' && !s.idp) add(['policies', i, 'directory'], 'the policy is in the IdP directory, but the scenario has no idp section');
    const places = placements(p, s);
    if (p.default) {
      for (const { directory } of places) {
        if (defaults.has(directory))
          add(['policies', i, 'default'], `policies.${defaults.get(directory)} is already the default of the ${directory} directory`);
        defaults.set(directory, i);
      }
      if (!places.length) add(['policies', i, 'default'], 'every directory has a default of its own already');
      if (p.members?.length) add(['policies', i, 'members'], 'a default policy holds everyone not in another policy: it takes no members list');
    }
    // The combinations core refuses (SSO outside an IdP directory, an idle limit out of range...), caught before anything is applied.
    for (const place of places) {
      const settings = { ...defaultPolicySettings(place.name, place.policy.sso), ...policySettings(place.policy) };
      for (const v of checkPolicy({ ...settings, isDefault: Boolean(p.default) }, { kind: place.directory }))
        add(['policies', i, SCENARIO_FIELD[v.field] ?? v.field], `${v.message} (${v.code})`);
    }
    (p.members ?? []).forEach((m, j) => {
      if (!known(m.toLowerCase())) add(['policies', i, 'members', j], `${m} is neither an account, an admin, nor an IdP user that provisioning creates`);
    });
  });
  (s.trello?.licenses ?? []).forEach((m, i) => {
    if (!known(m.toLowerCase())) add(['trello', 'licenses', i], `${m} is neither an account, an admin, nor an IdP user that provisioning creates`);
  });
  return problems;
}

/** A policy without `directory` lives in the IdP directory when the scenario has an IdP, else in the local one. */
export function directoryOf(policy: Scenario['policies'][number], s: Pick<Scenario, 'idp'>): 'idp' | 'local' {
  return policy.directory ?? (s.idp ? 'idp' : 'local');
}

type ScenarioPolicyEntry = Scenario['policies'][number];

/** One policy core is given for a scenario entry: in which directory, under which name, with which settings. */
export interface PolicyPlacement {
  directory: 'idp' | 'local';
  name: string;
  /** The entry, with what the directory cannot take left out (no SSO in the local directory). */
  policy: ScenarioPolicyEntry;
}

/**
 * Where a scenario's policy goes. `default: true` without a `directory` is the
 * default of every directory the scenario gives no default of its own, IdP
 * first: the others take the entry's name with the directory's in brackets
 * (policy names are unique in an organization) and what they can of its
 * settings: the local directory has no SSO, so it takes the entry without it,
 * and two-step verification left to the IdP becomes optional there.
 */
export function placements(p: ScenarioPolicyEntry, s: Pick<Scenario, 'idp' | 'policies'>): PolicyPlacement[] {
  if (!p.default || p.directory) return [{ directory: directoryOf(p, s), name: p.name, policy: p }];
  const explicit = new Set(s.policies.filter((o) => o.default && o.directory).map((o) => o.directory!));
  const directories = (['idp', 'local'] as const).filter((d) => (d === 'local' || s.idp) && !explicit.has(d));
  const label = (d: 'idp' | 'local') => (d === 'local' ? 'Local directory' : (s.idp?.directory ?? 'Mock IdP'));
  return directories.map((directory, i) => {
    const name = i === 0 ? p.name : `${p.name} (${label(directory)})`;
    if (directory === 'idp') return { directory, name, policy: { ...p, name } };
    const { sso: _sso, ...rest } = p;
    return { directory, name, policy: { ...rest, name, ...(p.twoStep === 'idp' ? { twoStep: 'optional' as const } : {}) } };
  });
}
