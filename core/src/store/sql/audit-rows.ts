import type { AuditEvent } from '../../scim/scim-records.ts';
import { toAudit } from './rows.ts';
import { ScimRows } from './scim-rows.ts';

/** The audit log: events recorded by an organization, or about the accounts it manages. */
export abstract class AuditRows extends ScimRows {
  // audit
  async insertAuditEvent(e: AuditEvent) {
    await this.run(
      'INSERT INTO audit_events (org_id, directory_id, at, source, operation, resource_type, resource_id, account_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [e.orgId, e.directoryId, e.at, e.source, e.operation, e.resourceType, e.resourceId, e.accountId, JSON.stringify(e.changes)],
    );
  }
  async listAuditEvents(orgId: string, page: { limit: number; afterSeq: number }) {
    return (
      await this.all(
        `SELECT * FROM audit_events WHERE seq > :after AND (org_id = :org OR account_id IN (SELECT id FROM accounts WHERE managed_by = :org))
       ORDER BY seq LIMIT :limit`,
        { org: orgId, after: page.afterSeq, limit: page.limit },
      )
    ).map(toAudit);
  }
}
