import { z } from 'zod';
import { route, type RouteSpec } from '../api/route.ts';
import type { BillingService } from './billing-service.ts';

export function billingRoutes(billing: BillingService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/billing',
      tag: 'billing',
      audience: 'admin',
      summary: 'Billable count and, per account, billable or not with a reason code',
      query: z.strictObject({
        accounts: z
          .enum(['true', 'false'])
          .optional()
          .transform((v) => v !== 'false'),
      }),
      handle: ({ params, query }) => billing.report(params.orgId!, query),
    }),
  ];
}
