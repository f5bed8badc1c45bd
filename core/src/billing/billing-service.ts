import type { CoreContext } from '../context.ts';
import { SnapshotIndex } from '../orgs/org-snapshot.ts';
import { requireOrg } from '../store/lookups.ts';
import { computeBilling } from './billing.ts';

export class BillingService {
  constructor(private readonly ctx: CoreContext) {}

  async report(orgId: string, options: { accounts: boolean }) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      const report = computeBilling(new SnapshotIndex((await tx.loadOrgSnapshot(orgId))!));
      return options.accounts ? report : { ...report, accounts: undefined };
    });
  }
}
