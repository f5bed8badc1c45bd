import { parseDuration } from '@rehearsal/runtime';
import type { ScenarioPolicy } from './schema.ts';

/**
 * Policy settings in core's terms: durations become minutes; with SSO given and
 * two-step not, two-step follows as core's new policies do (left to the IdP when SSO is enforced).
 */
export function policySettings(p: Omit<ScenarioPolicy, 'name' | 'directory' | 'default' | 'members'> & { name?: string }) {
  const minutes = (d: string) => Math.round(parseDuration(d)! / 60_000);
  return {
    ...(p.name ? { name: p.name } : {}),
    ...(p.sso ? { sso: p.sso } : {}),
    ...(p.twoStep ? { twoStep: p.twoStep } : p.sso ? { twoStep: p.sso === 'enforced' ? ('idp' as const) : ('optional' as const) } : {}),
    ...(p.idleSession ? { idleMinutes: minutes(p.idleSession) } : {}),
    ...(p.sessionExpiry !== undefined ? { sessionExpiryMinutes: p.sessionExpiry === null ? null : minutes(p.sessionExpiry) } : {}),
    ...(p.passwordMinStrength !== undefined ? { passwordMinStrength: p.passwordMinStrength } : {}),
    ...(p.passwordExpiryDays !== undefined ? { passwordExpiryDays: p.passwordExpiryDays } : {}),
    ...(p.billable !== undefined ? { billable: p.billable } : {}),
  };
}
