import type { CoreContext } from '../context.ts';
import { requireOrg } from '../store/lookups.ts';

/** The organization's audit log: every SCIM change with its attribute before/after values. */
export class AuditService {
  constructor(private readonly ctx: CoreContext) {}

  async list(orgId: string, page: { limit: number; after: number }) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      const events = await tx.listAuditEvents(orgId, { limit: page.limit, afterSeq: page.after });
      return { events, next: events.length === page.limit ? events.at(-1)!.seq : null };
    });
  }
}
