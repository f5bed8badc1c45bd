import { nowIso, type CoreContext } from '../context.ts';
import type { Directory } from '../directories/directory.ts';
import type { StoreTx } from '../store/store.ts';
import { checkAtlassianFilter, parseFilter, type ResourceKind } from './filter.ts';
import { parseAttributeList, project } from './projection.ts';
import { ScimError, scimBadRequest } from './scim-error.ts';
import type { AuditChange, ScimListQuery } from './scim-records.ts';
import { LIST_SCHEMA } from './scim-schema.ts';

/**
 * What SCIM users and groups share: list parameters read with the RFC's
 * clamping (or the vendor's, at the atlassian fidelity), list bodies,
 * versions (ETag and If-Match), and the audit of every change.
 */

export const MAX_RESULTS = { rfc: 1000, atlassian: 100 } as const;
const MAX_START_INDEX = 2 ** 31 - 1;

export interface ScimResponse {
  body: Record<string, unknown>;
  etag?: string;
  status?: number;
  location?: string;
}

export interface ListParams {
  filter?: unknown;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

export const etagOf = (version: number) => `W/"${version}"`;

export abstract class ScimResources {
  constructor(protected readonly ctx: CoreContext) {}

  /** Reads list parameters with the RFC's clamping; the atlassian fidelity answers like the vendor. */
  protected listQuery(dir: Directory, kind: ResourceKind, params: ListParams): ScimListQuery {
    const integer = (value: unknown, name: string): number | undefined => {
      if (value === undefined || value === '') return undefined;
      if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) throw scimBadRequest('invalidValue', `${name} must be an integer.`);
      return Number(value);
    };
    const max = MAX_RESULTS[dir.scimFidelity];
    const startIndex = Math.max(1, integer(params.startIndex, 'startIndex') ?? 1);
    // RFC 7644 numbers are 32-bit; a larger offset cannot address a resource (and SQLite would refuse it).
    if (startIndex > MAX_START_INDEX) throw scimBadRequest('invalidValue', `startIndex must be at most ${MAX_START_INDEX}.`);
    const count = Math.min(max, Math.max(0, integer(params.count, 'count') ?? 100));
    let filter;
    if (params.filter !== undefined) {
      if (typeof params.filter !== 'string') throw scimBadRequest('invalidFilter', 'Give one filter.');
      filter = parseFilter(kind, params.filter);
      if (dir.scimFidelity === 'atlassian') checkAtlassianFilter(kind, filter);
    }
    let sortBy: string | undefined;
    let descending = false;
    if (dir.scimFidelity === 'rfc') {
      if (params.sortBy !== undefined) {
        if (typeof params.sortBy !== 'string') throw scimBadRequest('invalidValue', 'Give one sortBy.');
        // Reuse the filter's attribute check: sorting goes by the same names.
        const probe = parseFilter(kind, `${params.sortBy} pr`);
        sortBy = probe.op === 'pr' ? probe.attr : undefined;
      }
      if (params.sortOrder !== undefined) {
        if (params.sortOrder !== 'ascending' && params.sortOrder !== 'descending')
          throw scimBadRequest('invalidValue', 'sortOrder is ascending or descending.');
        descending = params.sortOrder === 'descending';
      }
    }
    return { filter, sortBy, descending, startIndex, count };
  }

  protected listBody(total: number, query: ScimListQuery, resources: Record<string, unknown>[], params: ListParams) {
    const attributes = parseAttributeList(params.attributes);
    const excluded = parseAttributeList(params.excludedAttributes);
    return {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex: query.startIndex,
      itemsPerPage: resources.length,
      Resources: resources.map((r) => project(r, attributes, excluded)),
    };
  }

  protected async audit(
    tx: StoreTx,
    dir: Directory,
    operation: string,
    resourceType: 'User' | 'Group',
    resourceId: string,
    accountId: string | null,
    changes: AuditChange[],
  ) {
    await tx.insertAuditEvent({
      orgId: dir.orgId,
      directoryId: dir.id,
      at: nowIso(this.ctx),
      source: 'scim',
      operation,
      resourceType,
      resourceId,
      accountId,
      changes,
    });
    this.ctx.logger.info('scim change', { directoryId: dir.id, operation, resourceId, changes: changes.length });
  }
}

export function checkIfMatch(ifMatch: string | undefined, version: number) {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((t) => t.trim());
  if (!wanted.includes(etagOf(version)) && !wanted.includes(`"${version}"`)) {
    throw new ScimError(412, undefined, `The resource has changed: its version is ${etagOf(version)}, not ${ifMatch}.`);
  }
}

export function wantsMembers(attributes: string[][] | undefined, excluded: string[][] | undefined): boolean {
  const names = (paths: string[][] | undefined) => (paths ?? []).map((p) => p[0]!.toLowerCase());
  if (attributes?.length) return names(attributes).includes('members');
  return !names(excluded).includes('members');
}
