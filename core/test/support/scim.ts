import type { CoreAppOptions } from '../../src/app.ts';
import { orgWithVerifiedDomain, startCore, type ApiResponse, type TestCore } from './core.ts';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ATLASSIAN = 'urn:ietf:params:scim:schemas:extension:atlassian-external:2.0:User';

/** A SCIM client for one directory, speaking application/scim+json with its bearer token. */
export interface ScimClient {
  directoryId: string;
  token: string;
  base: string;
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  createUser(user: Record<string, unknown>): Promise<ApiResponse>;
  patch(path: string, operations: unknown[], headers?: Record<string, string>): Promise<ApiResponse>;
}

export function scimClient(core: TestCore, directoryId: string, token: string): ScimClient {
  const base = `/scim/directory/${directoryId}`;
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    core.request(method, base + path, body, { key: token, headers: { 'content-type': 'application/scim+json', ...headers } });
  return {
    directoryId,
    token,
    base,
    request,
    createUser: (user) => request('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...user }),
    patch: (path, operations, headers) => request('PATCH', path, { schemas: [PATCH_OP], Operations: operations }, headers),
  };
}

/** A user as Entra ID sends it. */
export function entraUser(local: string, extra: Record<string, unknown> = {}) {
  return {
    userName: `${local}@acme.com`,
    externalId: `oid-${local}`,
    active: true,
    displayName: `${local[0]!.toUpperCase()}${local.slice(1)} Example`,
    name: { givenName: local[0]!.toUpperCase() + local.slice(1), familyName: 'Example' },
    emails: [{ value: `${local}@acme.com`, type: 'work', primary: true }],
    ...extra,
  };
}

/** acme.com verified, an IdP directory linked to it, and a SCIM client for that directory. */
export async function scimFixture(core: TestCore) {
  const { org, domain } = await orgWithVerifiedDomain(core, { domain: 'acme.com', admins: ['root@acme.com'] });
  const directory = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra ID' })).body;
  await core.put(`/api/orgs/${org.id}/domains/${domain.id}/directory`, { directoryId: directory.id });
  return { org, domain, directory, scim: scimClient(core, directory.id, directory.scim.token) };
}

/** A fresh core with the SCIM fixture in it: what most SCIM suites start each test from. */
export async function startScimCore(overrides: Partial<CoreAppOptions> = {}) {
  const core = await startCore(overrides);
  const { org, directory, scim } = await scimFixture(core);
  return { core, scim, orgId: org.id as string, directoryId: directory.id as string };
}
