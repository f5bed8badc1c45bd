import { z } from 'zod';
import { route, type RouteSpec } from '../api/route.ts';
import type { AuditService } from './audit-service.ts';

const whole = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().max(max))
    .optional()
    .transform((v) => v ?? fallback);

export function auditRoutes(audit: AuditService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/audit',
      tag: 'audit',
      audience: 'admin',
      summary: 'Audit log, oldest first: each SCIM change with the directory, operation and attribute before/after values',
      query: z.strictObject({ after: whole(Number.MAX_SAFE_INTEGER, 0), limit: whole(1000, 100) }),
      handle: ({ params, query }) => audit.list(params.orgId!, query),
    }),
  ];
}
