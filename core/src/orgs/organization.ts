/** An organization: the admin's unit of domains, directories, policies and billing. */
export const PLANS = ['free', 'standard', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export interface Organization {
  id: string;
  name: string;
  plan: Plan;
  createdAt: string;
}
