import { z } from 'zod';
import { route, type RouteSpec } from '../api/route.ts';
import { pageQuery } from '../api/schemas.ts';
import type { CoreContext } from '../context.ts';
import { SnapshotIndex } from '../orgs/org-snapshot.ts';
import { requireOrg } from '../store/lookups.ts';
import { listPeople } from './people.ts';

const id = z.string().min(1).max(64);

export function peopleRoutes(ctx: CoreContext): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/people',
      tag: 'accounts',
      audience: 'admin',
      summary:
        'Every managed account with its directory, policy, two-step status, last login, billability and the path of its next login (core’s decision), filtered and paged',
      query: pageQuery.extend({
        q: z.string().max(320).optional(),
        policy: id.optional(),
        directory: id.optional(),
        billable: z
          .enum(['true', 'false'])
          .optional()
          .transform((v) => (v === undefined ? undefined : v === 'true')),
        reason: z.string().max(64).optional(),
      }),
      handle: ({ params, query }) =>
        ctx.store.read(async (tx) => {
          await requireOrg(tx, params.orgId!);
          const org = new SnapshotIndex((await tx.loadOrgSnapshot(params.orgId!))!);
          return listPeople(org, query, ctx.gatewayUrl, ctx.clock.now());
        }),
    }),
  ];
}
