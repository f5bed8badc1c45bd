import { z } from 'zod';
import { plainText } from '@rehearsal/runtime';
import { route, type RouteSpec } from '../api/route.ts';
import { email, emailList, pageQuery } from '../api/schemas.ts';
import type { OrgService } from './org-service.ts';
import { PLANS, SUBSCRIPTIONS } from './organization.ts';

const name = plainText(255);

export function orgRoutes(orgs: OrgService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/orgs',
      tag: 'organizations',
      audience: 'admin',
      status: 201,
      summary: 'Create an organization with its local directory, default policy and admins',
      body: z.strictObject({ name, plan: z.enum(PLANS).default('standard'), subscription: z.enum(SUBSCRIPTIONS).default('none'), admins: emailList(20) }),
      handle: ({ body }) => orgs.create(body),
    }),
    route({ method: 'get', path: '/api/orgs', tag: 'organizations', audience: 'admin', summary: 'List organizations', handle: () => orgs.list() }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}',
      tag: 'organizations',
      audience: 'admin',
      summary: 'Get an organization',
      handle: ({ params }) => orgs.get(params.orgId!),
    }),
    route({
      method: 'patch',
      path: '/api/orgs/{orgId}',
      tag: 'organizations',
      audience: 'admin',
      summary: 'Rename an organization, change its plan or its Atlassian Guard subscription (none or guard; the Enterprise plan includes Guard)',
      body: z.strictObject({ name: name.optional(), plan: z.enum(PLANS).optional(), subscription: z.enum(SUBSCRIPTIONS).optional() }),
      handle: ({ params, body }) => orgs.update(params.orgId!, body),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/admins',
      tag: 'organizations',
      audience: 'admin',
      status: 201,
      summary: 'Add an organization admin',
      body: z.strictObject({ email }),
      handle: ({ params, body }) => orgs.addAdmin(params.orgId!, body.email),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/admins/{accountId}',
      tag: 'organizations',
      audience: 'admin',
      summary: 'Remove an organization admin (never the last one)',
      handle: ({ params }) => orgs.removeAdmin(params.orgId!, params.accountId!),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/accounts',
      tag: 'accounts',
      audience: 'admin',
      query: pageQuery,
      summary: 'List the managed accounts of an organization',
      handle: ({ params, query }) => orgs.managedAccounts(params.orgId!, query),
    }),
  ];
}
