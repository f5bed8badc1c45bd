import type { Account } from '../../src/accounts/account.ts';
import type { SamlConnection } from '../../src/directories/saml-connection.ts';
import type { OrgSnapshot } from '../../src/orgs/org-snapshot.ts';
import { defaultPolicySettings, type Policy } from '../../src/policies/policy.ts';
import type { ProductGrant } from '../../src/products/product.ts';

/**
 * One organization in memory, for the pure decisions: acme.com verified and
 * linked to the IdP directory, a local default policy (password), an IdP
 * default (password) and a pilot (SSO enforced) in the IdP directory.
 * `person` makes an account; `with` returns the snapshot with changes.
 */
export const AT = '2026-11-23T09:00:00.000Z';
export const NOW = new Date(AT);
export const GATEWAY = 'http://localhost:8000';

const policy = (id: string, directoryId: string, isDefault: boolean, settings: Partial<Policy> = {}): Policy => ({
  ...defaultPolicySettings(id),
  id,
  orgId: 'org',
  directoryId,
  isDefault,
  createdAt: AT,
  updatedAt: AT,
  ...settings,
});

export function person(id: string, fields: Partial<Account> = {}): Account {
  return {
    id,
    email: `${id}@acme.com`,
    displayName: id,
    publicName: null,
    jobTitle: null,
    department: null,
    organization: null,
    timezone: null,
    preferredLanguage: null,
    active: true,
    managedBy: 'org',
    origin: 'signup',
    passwordHash: 'scrypt$...',
    passwordChangedAt: AT,
    totpSecret: null,
    recoveryCodeHashes: [],
    totpLastStep: null,
    firstLoginAt: null,
    lastLoginAt: null,
    profileSources: {},
    createdAt: AT,
    updatedAt: AT,
    ...fields,
  };
}

export const CONNECTION: SamlConnection = {
  id: 'conn',
  directoryId: 'idp',
  idpEntityId: 'http://localhost:7000/saml/metadata',
  ssoUrl: 'http://localhost:7000/saml/sso',
  sloUrl: null,
  certificate: '-----BEGIN CERTIFICATE-----',
  allowIdpInitiated: false,
  signAuthnRequests: false,
  wantAssertionsSigned: true,
  displayNameFromSaml: 'given-family',
  lastLoginAt: null,
  createdAt: AT,
  updatedAt: AT,
};

export interface Org {
  accounts: Account[];
  policyOf: Record<string, string>;
  policies?: Partial<Record<'local-default' | 'idp-default' | 'pilot', Partial<Policy>>>;
  connection?: boolean;
  domainLinked?: boolean;
  identities?: Record<string, string[]>;
  grants?: Record<string, ProductGrant[]>;
  plan?: OrgSnapshot['org']['plan'];
  subscription?: OrgSnapshot['org']['subscription'];
  admins?: string[];
}

export function snapshot(org: Org): OrgSnapshot {
  const identities = new Map(Object.entries(org.identities ?? {}).map(([id, dirs]) => [id, new Set(dirs)]));
  return {
    org: { id: 'org', name: 'Acme', plan: org.plan ?? 'standard', subscription: org.subscription ?? 'guard', createdAt: AT },
    adminIds: new Set(org.admins ?? []),
    domains: [
      {
        id: 'dom',
        orgId: 'org',
        name: 'acme.com',
        status: 'verified',
        token: 't',
        method: 'dns',
        verifiedAt: AT,
        directoryId: org.domainLinked === false ? null : 'idp',
        createdAt: AT,
      },
    ],
    directories: [
      { id: 'local', orgId: 'org', kind: 'local', name: 'Local', scimFidelity: 'rfc', scimRateLimit: null, createdAt: AT },
      { id: 'idp', orgId: 'org', kind: 'idp', name: 'IdP', scimFidelity: 'rfc', scimRateLimit: null, createdAt: AT },
    ],
    connections: org.connection === false ? [] : [CONNECTION],
    policies: [
      policy('local-default', 'local', true, org.policies?.['local-default']),
      policy('idp-default', 'idp', true, org.policies?.['idp-default']),
      policy('pilot', 'idp', false, { sso: 'enforced', twoStep: 'idp', ...org.policies?.pilot }),
    ],
    accounts: org.accounts,
    policyOf: new Map(Object.entries(org.policyOf)),
    identities,
    provisionedDirectoryIds: new Set([...identities.values()].flatMap((s) => [...s])),
    grants: new Map(Object.entries(org.grants ?? {})),
    trello: new Map(),
  };
}
