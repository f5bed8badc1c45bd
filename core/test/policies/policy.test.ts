import { expect } from 'chai';
import { checkPolicy, defaultPolicySettings, memberRefusal, type PolicySettings } from '../../src/policies/policy.ts';

const local = { kind: 'local' as const };
const idp = { kind: 'idp' as const };
const policy = (settings: Partial<PolicySettings> & { isDefault?: boolean } = {}) => ({ ...defaultPolicySettings('p'), isDefault: false, ...settings });
const codes = (violations: { code: string }[]) => violations.map((v) => v.code);

describe('policies/policy rules', () => {
  it('accepts the defaults in either directory, and enforced SSO in an IdP directory', () => {
    expect(checkPolicy(policy(), local)).to.deep.equal([]);
    expect(checkPolicy(policy({ sso: 'enforced', twoStep: 'idp' }), idp)).to.deep.equal([]);
    expect(checkPolicy(policy({ sso: 'optional', twoStep: 'mandatory' }), idp)).to.deep.equal([]);
  });

  it('new SSO-enforced settings leave 2SV to the IdP', () => {
    expect(defaultPolicySettings('x', 'enforced')).to.include({ sso: 'enforced', twoStep: 'idp', billable: true, idleMinutes: 43200 });
  });

  const refusals: [string, Partial<PolicySettings> & { isDefault?: boolean }, { kind: 'local' | 'idp' }, string][] = [
    ['SSO in the local directory', { sso: 'enforced', twoStep: 'idp' }, local, 'sso-requires-idp-directory'],
    ['optional SSO in the local directory', { sso: 'optional' }, local, 'sso-requires-idp-directory'],
    ['2SV left to the IdP without enforced SSO', { sso: 'optional', twoStep: 'idp' }, idp, 'two-step-idp-requires-sso'],
    ['mandatory 2SV under enforced SSO', { sso: 'enforced', twoStep: 'mandatory' }, idp, 'two-step-with-enforced-sso'],
    ['a non-billable policy enforcing SSO', { sso: 'enforced', twoStep: 'idp', billable: false }, idp, 'non-billable-cannot-enforce-sso'],
    ['a non-billable policy enforcing 2SV', { twoStep: 'mandatory', billable: false }, local, 'non-billable-cannot-enforce-two-step'],
    ['a non-billable default outside the local directory', { billable: false, isDefault: true }, idp, 'non-billable-default-outside-local'],
    ['an idle timeout under 15 minutes', { idleMinutes: 14 }, local, 'idle-timeout-out-of-range'],
    ['an idle timeout over 30 days', { idleMinutes: 43201 }, local, 'idle-timeout-out-of-range'],
    ['a session expiry under 15 minutes', { sessionExpiryMinutes: 5 }, local, 'session-expiry-out-of-range'],
    ['a password expiry of 0 days', { passwordExpiryDays: 0 }, local, 'password-expiry-out-of-range'],
  ];
  for (const [what, settings, directory, code] of refusals) {
    it(`refuses ${what} (${code})`, () => expect(codes(checkPolicy(policy(settings), directory))).to.include(code));
  }

  it('accepts the bounds themselves', () => {
    expect(checkPolicy(policy({ idleMinutes: 15, sessionExpiryMinutes: 90 * 1440, passwordExpiryDays: 365 }), local)).to.deep.equal([]);
    expect(checkPolicy(policy({ idleMinutes: 43200 }), local)).to.deep.equal([]);
    expect(checkPolicy(policy({ billable: false, isDefault: true }), local)).to.deep.equal([]);
  });

  it('refuses members that are not managed by the org, and synced members in a non-billable policy', () => {
    const target = { orgId: 'o1', billable: false, name: 'Portal' };
    expect(memberRefusal({ email: 'a@x.com', managedBy: null }, target, false)?.code).to.equal('account-not-managed');
    expect(memberRefusal({ email: 'a@x.com', managedBy: 'o2' }, target, false)?.code).to.equal('account-not-managed');
    expect(memberRefusal({ email: 'a@x.com', managedBy: 'o1' }, target, true)?.code).to.equal('synced-member-in-non-billable-policy');
    expect(memberRefusal({ email: 'a@x.com', managedBy: 'o1' }, target, false)).to.equal(undefined);
    expect(memberRefusal({ email: 'a@x.com', managedBy: 'o1' }, { ...target, billable: true }, true)).to.equal(undefined);
  });
});
