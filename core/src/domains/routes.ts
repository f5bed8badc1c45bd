import { z } from 'zod';
import { route, type RouteSpec } from '../api/route.ts';
import type { DomainService } from './domain-service.ts';
import { VERIFICATION_METHODS } from './domain.ts';

export function domainRoutes(domains: DomainService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/domains',
      tag: 'domains',
      audience: 'admin',
      status: 201,
      summary: 'Add a domain: pending, with its verification token',
      body: z.strictObject({ name: z.string().min(1).max(253) }),
      handle: ({ params, body }) => domains.add(params.orgId!, body.name),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/domains',
      tag: 'domains',
      audience: 'admin',
      summary: 'List domains',
      handle: ({ params }) => domains.list(params.orgId!),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/domains/{domainId}',
      tag: 'domains',
      audience: 'admin',
      summary: 'Get a domain',
      handle: ({ params }) => domains.get(params.orgId!, params.domainId!),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/domains/{domainId}/verify',
      tag: 'domains',
      audience: 'admin',
      summary: 'Verify by DNS TXT record or HTTPS file, then claim the accounts on the domain',
      body: z.strictObject({ method: z.enum(VERIFICATION_METHODS) }),
      handle: ({ params, body }) => domains.verify(params.orgId!, params.domainId!, body.method),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/domains/{domainId}/unverify',
      tag: 'domains',
      audience: 'admin',
      summary: 'Unverify a domain, releasing the accounts it claimed',
      handle: ({ params }) => domains.unverify(params.orgId!, params.domainId!),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/domains/{domainId}',
      tag: 'domains',
      audience: 'admin',
      summary: 'Remove a domain, releasing the accounts it claimed',
      handle: ({ params }) => domains.remove(params.orgId!, params.domainId!),
    }),
    route({
      method: 'put',
      path: '/api/orgs/{orgId}/domains/{domainId}/directory',
      tag: 'domains',
      audience: 'admin',
      summary: 'Link a verified domain to an identity provider directory (null unlinks)',
      body: z.strictObject({ directoryId: z.string().min(1).nullable() }),
      handle: ({ params, body }) => domains.linkDirectory(params.orgId!, params.domainId!, body.directoryId),
    }),
  ];
}
