/** Products an organization runs, each on a plan, and who has access to them. */
export const PRODUCTS = ['jira-software', 'jira-work-management', 'jsm-agent', 'jsm-customer', 'confluence', 'bitbucket', 'trello'] as const;
export type ProductKey = (typeof PRODUCTS)[number];
export const PRODUCT_PLANS = ['free', 'standard', 'premium', 'enterprise'] as const;
export type ProductPlan = (typeof PRODUCT_PLANS)[number];

/** Trello access lives in Trello accounts and workspaces, not in the generic grant table. */
export type SiteProduct = Exclude<ProductKey, 'trello'>;
export const SITE_PRODUCTS = PRODUCTS.filter((p): p is SiteProduct => p !== 'trello');

/** Products a synced group can grant: not Bitbucket (and not Trello), which manage their own access. */
export const GROUP_GRANTABLE = (product: ProductKey) => product !== 'bitbucket' && product !== 'trello';

/**
 * System groups of the product (admin and add-on groups): an identity provider
 * cannot sync a group of these names, or it would hand out admin rights.
 */
export const SYSTEM_GROUPS = [
  'site-admins',
  'org-admins',
  'administrators',
  'system-administrators',
  'atlassian-addons-admin',
  'trusted-users',
  'jira-administrators',
  'confluence-administrators',
] as const;

export interface OrgProduct {
  orgId: string;
  product: SiteProduct;
  plan: ProductPlan;
}

export interface ProductGrant {
  product: SiteProduct;
  plan: ProductPlan;
}
