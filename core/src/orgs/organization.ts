import { unprocessable } from '../reasons.ts';

/** An organization: the admin's unit of domains, directories, policies and billing. */
export const PLANS = ['free', 'standard', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** The identity subscription: none, or Atlassian Guard (formerly Access). */
export const SUBSCRIPTIONS = ['none', 'guard'] as const;
export type Subscription = (typeof SUBSCRIPTIONS)[number];

export interface Organization {
  id: string;
  name: string;
  plan: Plan;
  subscription: Subscription;
  createdAt: string;
}

/** Whether the organization has Atlassian Guard: subscribed to, or included in the Enterprise plan. (doc) */
export function hasGuard(org: Pick<Organization, 'plan' | 'subscription'>): boolean {
  return org.subscription === 'guard' || org.plan === 'enterprise';
}

/** How the organization has Guard, as reports show it. */
export const guardStanding = (org: Pick<Organization, 'plan' | 'subscription'>) =>
  org.plan === 'enterprise' ? ('included-in-enterprise-plan' as const) : org.subscription === 'guard' ? ('subscribed' as const) : ('none' as const);

/**
 * What an organization without Guard cannot do. (field blog, doc) Without it the
 * product offers claiming domains, managed accounts and one authentication policy
 * with two-step verification, password strength and idle session duration; SAML
 * single sign-on, user provisioning, more policies and non-billable policies need it.
 */
export type GuardFeature = 'SAML single sign-on and user provisioning' | 'more than one authentication policy' | 'non-billable policies';

export function requireGuard(org: Pick<Organization, 'plan' | 'subscription' | 'name'>, feature: GuardFeature, path = 'body'): void {
  if (hasGuard(org)) return;
  throw unprocessable(
    'subscription-required',
    `Atlassian Guard is required for ${feature}: ${org.name} has no Guard subscription (subscribe, or move to the Enterprise plan, which includes it).`,
    [{ path, message: `${feature}: needs Atlassian Guard`, feature }],
  );
}
