import { z } from 'zod';
import { route, type RouteSpec } from '../api/route.ts';
import { emailList, pageQuery } from '../api/schemas.ts';
import { badRequest } from '../reasons.ts';
import { PRODUCTS, PRODUCT_PLANS, type SiteProduct } from './product.ts';
import type { ProductService } from './product-service.ts';

/** Trello access is modelled by Trello accounts and workspaces (/api/trello), not by grants. */
function siteProduct(value: string): SiteProduct {
  if (value === 'trello')
    throw badRequest(
      'trello-managed-separately',
      'Trello access comes from Trello accounts, workspaces and licenses: use /api/trello. A synced group cannot grant it either (group-sync-cannot-grant).',
    );
  if (!(PRODUCTS as readonly string[]).includes(value)) {
    throw badRequest('unknown-product', `Unknown product "${value}".`, [
      { path: 'params.product', message: 'unknown product', expected: PRODUCTS.filter((p) => p !== 'trello').join(' | ') },
    ]);
  }
  return value as SiteProduct;
}

export function productRoutes(products: ProductService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/products',
      tag: 'products',
      audience: 'admin',
      summary: 'List enabled products with their plans and user counts',
      handle: ({ params }) => products.list(params.orgId!),
    }),
    route({
      method: 'put',
      path: '/api/orgs/{orgId}/products/{product}',
      tag: 'products',
      audience: 'admin',
      summary: 'Enable a product on a plan (or change its plan)',
      body: z.strictObject({ plan: z.enum(PRODUCT_PLANS) }),
      handle: ({ params, body }) => products.setPlan(params.orgId!, siteProduct(params.product!), body.plan),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/products/{product}',
      tag: 'products',
      audience: 'admin',
      status: 204,
      summary: 'Remove a product and every access to it',
      handle: ({ params }) => products.remove(params.orgId!, siteProduct(params.product!)),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/products/{product}/access',
      tag: 'products',
      audience: 'admin',
      query: pageQuery,
      summary: 'List who has access to a product',
      handle: ({ params, query }) => products.access(params.orgId!, siteProduct(params.product!), query),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/products/{product}/access',
      tag: 'products',
      audience: 'admin',
      summary: 'Grant up to 10,000 accounts access to a product',
      body: z.strictObject({ emails: emailList(10_000) }),
      handle: ({ params, body }) => products.grant(params.orgId!, siteProduct(params.product!), body.emails),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/products/{product}/groups',
      tag: 'products',
      audience: 'admin',
      summary: 'The SCIM groups (by name) whose direct members get access to a product',
      handle: ({ params }) => products.groups(params.orgId!, siteProduct(params.product!)),
    }),
    route({
      method: 'put',
      path: '/api/orgs/{orgId}/products/{product}/groups/{groupName}',
      tag: 'products',
      audience: 'admin',
      summary: 'Map a SCIM group, by name, to a product: its direct members get access (nested groups are not inherited)',
      handle: ({ params }) => products.mapGroup(params.orgId!, siteProduct(params.product!), params.groupName!),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/products/{product}/groups/{groupName}',
      tag: 'products',
      audience: 'admin',
      status: 204,
      summary: 'Remove a group-to-product mapping',
      handle: ({ params }) => products.unmapGroup(params.orgId!, siteProduct(params.product!), params.groupName!),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/products/{product}/access/{accountId}',
      tag: 'products',
      audience: 'admin',
      status: 204,
      summary: "Revoke an account's access to a product",
      handle: ({ params }) => products.revoke(params.orgId!, siteProduct(params.product!), params.accountId!),
    }),
  ];
}
