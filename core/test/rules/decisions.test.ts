import { expect } from 'chai';
import { accountBillability, type BillingReason } from '../../src/billing/billing.ts';
import { decideLogin, nextLogin, type LoginReason } from '../../src/login/login-decision.ts';
import { SnapshotIndex } from '../../src/orgs/org-snapshot.ts';
import { checkPolicy, memberRefusal, type PolicyRule, type PolicySettings } from '../../src/policies/policy.ts';
import { previewRollout } from '../../src/rollout/rollout-preview.ts';
import { GATEWAY, NOW, person, snapshot, type Org } from './org-fixture.ts';

/**
 * Core's rules as pure functions over one in-memory snapshot: one row per
 * rule, with the reason code it answers (issue 15.6). The HTTP suites test the
 * wiring; these show the rules, in milliseconds.
 */

const decide = (org: Org, id = 'alice') => {
  const s = snapshot(org);
  const account = s.accounts.find((a) => a.id === id);
  return decideLogin(account?.email ?? `${id}@acme.com`, account, account?.managedBy ? new SnapshotIndex(s) : undefined, GATEWAY, NOW);
};

describe('rules: the login decision, one row per reason', () => {
  const rows: [rule: string, org: Org, reason: LoginReason, method: string | null, next: string][] = [
    ['no account', { accounts: [], policyOf: {} }, 'account-unknown', 'password', 'password-setup'],
    ['deactivated', { accounts: [person('alice', { active: false })], policyOf: { alice: 'pilot' } }, 'account-deactivated', null, 'locked-out'],
    ['not managed', { accounts: [person('alice', { managedBy: null })], policyOf: {} }, 'account-unmanaged', 'password', 'password'],
    ['in no policy', { accounts: [person('alice')], policyOf: {} }, 'policy-missing', 'password', 'password'],
    ['password policy', { accounts: [person('alice')], policyOf: { alice: 'local-default' } }, 'policy-password', 'password', 'password'],
    ['SSO enforced', { accounts: [person('alice')], policyOf: { alice: 'pilot' } }, 'policy-sso-enforced', 'sso', 'sso'],
    [
      'SSO optional',
      { accounts: [person('alice')], policyOf: { alice: 'pilot' }, policies: { pilot: { sso: 'optional', twoStep: 'optional' } } },
      'policy-sso-optional',
      'sso-or-password',
      'sso-or-password',
    ],
    [
      'SSO optional, no connection',
      { accounts: [person('alice')], policyOf: { alice: 'pilot' }, policies: { pilot: { sso: 'optional', twoStep: 'optional' } }, connection: false },
      'policy-sso-optional-unavailable',
      'password',
      'password',
    ],
    [
      'SSO enforced, no connection',
      { accounts: [person('alice')], policyOf: { alice: 'pilot' }, connection: false },
      'sso-connection-missing',
      null,
      'locked-out',
    ],
    [
      'SSO enforced, domain not linked',
      { accounts: [person('alice')], policyOf: { alice: 'pilot' }, domainLinked: false },
      'domain-not-linked-to-directory',
      null,
      'locked-out',
    ],
    [
      'SSO enforced, the IdP provisions others but not this account',
      { accounts: [person('alice'), person('bob')], policyOf: { alice: 'pilot', bob: 'pilot' }, identities: { bob: ['idp'] } },
      'no-identity-in-idp-directory',
      null,
      'locked-out',
    ],
  ];
  for (const [rule, org, reason, method, next] of rows) {
    it(`${rule}: ${reason}, ${method ?? 'no way in'}, next login ${next}`, () => {
      const decision = decide(org);
      expect(decision).to.include({ reason, method, allowed: method !== null });
      expect(nextLogin(decision)).to.equal(next);
    });
  }

  it('mandatory two-step verification applies to the password path only, and asks for enrolment until done', () => {
    const mandatory = { accounts: [person('alice')], policyOf: { alice: 'local-default' }, policies: { 'local-default': { twoStep: 'mandatory' as const } } };
    expect(decide(mandatory).twoStep).to.deep.include({ required: true, enrolmentRequired: true });
    expect(nextLogin(decide(mandatory))).to.equal('two-step-enrolment');
    const enrolled = { ...mandatory, accounts: [person('alice', { totpSecret: 'sealed' })] };
    expect(decide(enrolled).twoStep).to.deep.include({ required: true, enrolled: true, enrolmentRequired: false });
  });

  it('an expired password is the next step, and the session limits are the policy’s', () => {
    const org = {
      accounts: [person('alice', { passwordChangedAt: '2026-01-01T00:00:00.000Z' })],
      policyOf: { alice: 'local-default' },
      policies: { 'local-default': { passwordExpiryDays: 30, idleMinutes: 45, sessionExpiryMinutes: 600 } },
    };
    const decision = decide(org);
    expect(nextLogin(decision)).to.equal('password-change');
    expect(decision.session).to.deep.equal({ idleMinutes: 45, absoluteMinutes: 600 });
  });
});

describe('rules: billing, one row per reason', () => {
  const jira = [{ product: 'jira-software' as const, plan: 'standard' as const }];
  const rows: [rule: string, org: Org, reason: BillingReason, billable: boolean][] = [
    [
      'a managed account with a product',
      { accounts: [person('alice')], policyOf: { alice: 'local-default' }, grants: { alice: jira } },
      'billable-product-access',
      true,
    ],
    ['not managed', { accounts: [person('alice', { managedBy: null })], policyOf: {}, grants: { alice: jira } }, 'not-managed', false],
    [
      'deactivated',
      { accounts: [person('alice', { active: false })], policyOf: { alice: 'local-default' }, grants: { alice: jira } },
      'account-deactivated',
      false,
    ],
    [
      'in a non-billable policy',
      { accounts: [person('alice')], policyOf: { alice: 'local-default' }, policies: { 'local-default': { billable: false } }, grants: { alice: jira } },
      'non-billable-policy',
      false,
    ],
    [
      'an Enterprise plan product',
      { accounts: [person('alice')], policyOf: { alice: 'local-default' }, grants: { alice: [{ product: 'confluence', plan: 'enterprise' }] } },
      'covered-by-enterprise-plan',
      false,
    ],
    [
      'a portal customer only',
      { accounts: [person('alice')], policyOf: { alice: 'local-default' }, grants: { alice: [{ product: 'jsm-customer', plan: 'standard' }] } },
      'jsm-customer-only',
      false,
    ],
    ['no product', { accounts: [person('alice')], policyOf: { alice: 'local-default' } }, 'no-product-access', false],
  ];
  for (const [rule, org, reason, billable] of rows) {
    it(`${rule}: ${reason}${billable ? ' (billed)' : ''}`, () => {
      const s = snapshot(org);
      expect(accountBillability(new SnapshotIndex(s), s.accounts[0]!)).to.include({ reason, billable });
    });
  }
});

describe('rules: policies, one row per rule', () => {
  const idp = { kind: 'idp' as const };
  const local = { kind: 'local' as const };
  const base: PolicySettings & { isDefault: boolean } = {
    name: 'P',
    sso: 'disabled',
    twoStep: 'optional',
    passwordMinStrength: null,
    passwordExpiryDays: null,
    idleMinutes: 60,
    sessionExpiryMinutes: null,
    billable: true,
    isDefault: false,
  };
  const rows: [rule: string, settings: Partial<typeof base>, directory: { kind: 'idp' | 'local' }, code: PolicyRule | undefined][] = [
    ['a password policy', {}, local, undefined],
    ['SSO in a local directory', { sso: 'enforced', twoStep: 'idp' }, local, 'sso-requires-idp-directory'],
    ['2SV left to the IdP without enforced SSO', { twoStep: 'idp' }, idp, 'two-step-idp-requires-sso'],
    ['2SV of the product with enforced SSO', { sso: 'enforced', twoStep: 'mandatory' }, idp, 'two-step-with-enforced-sso'],
    ['non-billable with enforced SSO', { sso: 'enforced', twoStep: 'idp', billable: false }, idp, 'non-billable-cannot-enforce-sso'],
    ['non-billable with mandatory 2SV', { twoStep: 'mandatory', billable: false }, idp, 'non-billable-cannot-enforce-two-step'],
    ['a non-billable default outside the local directory', { billable: false, isDefault: true }, idp, 'non-billable-default-outside-local'],
  ];
  for (const [rule, settings, directory, code] of rows) {
    it(`${rule}: ${code ?? 'accepted'}`, () => {
      const violations = checkPolicy({ ...base, ...settings }, directory);
      expect(violations[0]?.code).to.equal(code);
    });
  }

  it('members: only managed accounts, and no IdP-synced account in a non-billable policy', () => {
    const policy = { orgId: 'org', billable: false, name: 'Free' };
    expect(memberRefusal({ email: 'x@else.com', managedBy: null }, policy, false)?.code).to.equal('account-not-managed');
    expect(memberRefusal({ email: 'a@acme.com', managedBy: 'org' }, policy, true)?.code).to.equal('synced-member-in-non-billable-policy');
    expect(memberRefusal({ email: 'a@acme.com', managedBy: 'org' }, { ...policy, billable: true }, true)).to.equal(undefined);
  });
});

describe('rules: the rollout preview', () => {
  it('moving someone the IdP never provisioned into enforced SSO locks them out; the others are fine', () => {
    const org = {
      accounts: [person('alice'), person('bob'), person('carol')],
      policyOf: { alice: 'idp-default', bob: 'idp-default', carol: 'idp-default' },
      identities: { alice: ['idp'], bob: ['idp'] },
    };
    const preview = previewRollout(snapshot(org), { policyId: 'pilot', addMemberIds: ['alice', 'carol'] }, GATEWAY, NOW);
    const byId = new Map(preview.accounts.map((a) => [a.email, a]));
    expect(byId.get('alice@acme.com')).to.deep.include({ category: 'fine' });
    expect(byId.get('carol@acme.com')).to.deep.include({ category: 'locked-out' });
    expect(byId.get('carol@acme.com')!.lockOutReasons.map((r) => r.code)).to.deep.equal(['no-identity-in-idp-directory']);
    expect(preview.summary).to.deep.include({ affected: 2, lockedOut: 1 });
  });

  it('enforcing SSO on a policy whose directory has no connection locks out every member, and an admin is flagged', () => {
    const org = { accounts: [person('alice'), person('root')], policyOf: { alice: 'idp-default', root: 'idp-default' }, connection: false, admins: ['root'] };
    const preview = previewRollout(snapshot(org), { policyId: 'idp-default', addMemberIds: [], settings: { sso: 'enforced', twoStep: 'idp' } }, GATEWAY, NOW);
    expect(preview.summary.lockedOut).to.equal(2);
    expect(preview.accounts.every((a) => a.lockOutReasons.some((r) => r.code === 'sso-connection-missing'))).to.equal(true);
    expect(preview.accounts.find((a) => a.email === 'root@acme.com')).to.deep.include({ admin: true });
  });
});
