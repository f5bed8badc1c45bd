/** Products an organization runs, each on a plan, and who has access to them. */
export const PRODUCTS = ['jira-software', 'jira-work-management', 'jsm-agent', 'jsm-customer', 'confluence', 'bitbucket', 'trello'] as const;
export type ProductKey = (typeof PRODUCTS)[number];
export const PRODUCT_PLANS = ['free', 'standard', 'premium', 'enterprise'] as const;
export type ProductPlan = (typeof PRODUCT_PLANS)[number];

/** Trello access lives in Trello accounts and workspaces, not in the generic grant table. */
export type SiteProduct = Exclude<ProductKey, 'trello'>;
export const SITE_PRODUCTS = PRODUCTS.filter((p): p is SiteProduct => p !== 'trello');

export interface OrgProduct {
  orgId: string;
  product: SiteProduct;
  plan: ProductPlan;
}

export interface ProductGrant {
  product: SiteProduct;
  plan: ProductPlan;
}
