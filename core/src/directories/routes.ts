import { z } from 'zod';
import { plainText } from '@rehearsal/runtime';
import { route, type RouteSpec } from '../api/route.ts';
import type { DirectoryService } from './directory-service.ts';
import type { DriftService } from '../scim/drift.ts';
import { DISPLAY_NAME_FROM_SAML } from './saml-connection.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export function directoryRoutes(directories: DirectoryService, drift: DriftService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/directories/{directoryId}/drift',
      tag: 'directories',
      audience: 'admin',
      summary:
        "Where managed accounts hold other profile values than the directory's SCIM users last sent, and who wrote them (what the IdP's next write overwrites)",
      handle: ({ params }) => drift.of(params.orgId!, params.directoryId!),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/directories',
      tag: 'directories',
      audience: 'admin',
      summary: 'List directories with their SAML connections',
      handle: ({ params }) => directories.list(params.orgId!),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/directories',
      tag: 'directories',
      audience: 'admin',
      status: 201,
      summary: 'Create an identity provider directory (more than one needs the Enterprise plan)',
      body: z.strictObject({ name: plainText(255) }),
      handle: ({ params, body }) => directories.createIdp(params.orgId!, body.name),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/directories/{directoryId}',
      tag: 'directories',
      audience: 'admin',
      summary: 'Get a directory',
      handle: ({ params }) => directories.get(params.orgId!, params.directoryId!),
    }),
    route({
      method: 'patch',
      path: '/api/orgs/{orgId}/directories/{directoryId}',
      tag: 'directories',
      audience: 'admin',
      summary: "Choose how the directory's SCIM server answers: rfc (default) or atlassian (like the vendor's server), and its rate limit",
      body: z
        .strictObject({
          scimFidelity: z.enum(['rfc', 'atlassian']).optional(),
          // null: the fidelity's default (none in rfc); 'off': none at all.
          scimRateLimit: z
            .union([
              z.strictObject({ requests: z.number().int().min(1).max(1_000_000), perSeconds: z.number().int().min(1).max(86_400) }),
              z.literal('off'),
              z.null(),
            ])
            .optional(),
        })
        .refine((b) => b.scimFidelity !== undefined || b.scimRateLimit !== undefined, 'Send scimFidelity, scimRateLimit or both.'),
      handle: ({ params, body }) => directories.setScimSettings(params.orgId!, params.directoryId!, body),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/directories/{directoryId}/scim-token',
      tag: 'directories',
      audience: 'admin',
      status: 201,
      summary: 'Regenerate the SCIM bearer token (shown once; the old one stops working)',
      handle: ({ params }) => directories.rotateScimToken(params.orgId!, params.directoryId!),
    }),
    route({
      method: 'put',
      path: '/api/orgs/{orgId}/directories/{directoryId}/saml',
      tag: 'directories',
      audience: 'admin',
      summary: "Configure the directory's SAML connection; shows back the SP entity ID and ACS URL",
      body: z.strictObject({
        idpEntityId: z.string().trim().min(1).max(1024),
        ssoUrl: httpUrl,
        sloUrl: httpUrl.optional(),
        certificate: z.string().min(1).max(20_000),
        allowIdpInitiated: z.boolean().optional(),
        signAuthnRequests: z.boolean().optional(),
        /** Whether the assertion must be signed itself (the default, as the product has it); false also takes a signed Response around it. */
        wantAssertionsSigned: z.boolean().optional(),
        displayNameFromSaml: z.enum(DISPLAY_NAME_FROM_SAML).optional(),
      }),
      handle: ({ params, body }) => directories.setSaml(params.orgId!, params.directoryId!, body),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/directories/{directoryId}/saml/metadata',
      tag: 'directories',
      audience: 'admin',
      summary: "Configure the directory's SAML connection from the IdP's metadata (XML or URL; signature checked when a certificate is given)",
      body: z
        .strictObject({
          xml: z
            .string()
            .min(1)
            .max(2 * 1024 * 1024)
            .optional(),
          url: httpUrl.optional(),
          certificate: z.string().min(1).max(20_000).optional(),
          allowIdpInitiated: z.boolean().optional(),
          signAuthnRequests: z.boolean().optional(),
          wantAssertionsSigned: z.boolean().optional(),
          displayNameFromSaml: z.enum(DISPLAY_NAME_FROM_SAML).optional(),
          singleLogout: z.boolean().optional(),
        })
        .refine((b) => (b.xml === undefined) !== (b.url === undefined), 'Send either xml or url.'),
      handle: ({ params, body }) => directories.importSamlMetadata(params.orgId!, params.directoryId!, body),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/directories/{directoryId}/saml/service-provider',
      tag: 'directories',
      audience: 'admin',
      summary: 'What to enter at the IdP (SP entity ID, ACS, SLO and metadata URLs), known before the connection is configured',
      handle: ({ params }) => directories.serviceProvider(params.orgId!, params.directoryId!),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/directories/{directoryId}/saml',
      tag: 'directories',
      audience: 'admin',
      summary: "Get the directory's SAML connection",
      handle: ({ params }) => directories.getSaml(params.orgId!, params.directoryId!),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/directories/{directoryId}/saml',
      tag: 'directories',
      audience: 'admin',
      status: 204,
      summary: "Remove the directory's SAML connection",
      handle: ({ params }) => directories.deleteSaml(params.orgId!, params.directoryId!),
    }),
  ];
}
