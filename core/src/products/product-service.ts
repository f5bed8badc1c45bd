import { badRequest, conflict, notFound, unprocessable } from '../reasons.ts';
import { nowIso, type CoreContext } from '../context.ts';
import { requireAccount, requireAccountsByEmail, requireOrg } from '../store/lookups.ts';
import type { StoreTx } from '../store/store.ts';
import { GROUP_GRANTABLE, type ProductPlan, type SiteProduct } from './product.ts';

export class ProductService {
  constructor(private readonly ctx: CoreContext) {}

  async list(orgId: string) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      const products = [];
      for (const p of await tx.listOrgProducts(orgId)) {
        products.push({ ...p, users: (await tx.listAccess(orgId, p.product, { limit: 0, offset: 0 })).total });
      }
      return products;
    });
  }

  async setPlan(orgId: string, product: SiteProduct, plan: ProductPlan) {
    return this.ctx.store.transaction(async (tx) => {
      await requireOrg(tx, orgId);
      await tx.setOrgProduct({ orgId, product, plan });
      return { orgId, product, plan };
    });
  }

  /** Removing a product removes every grant of it. */
  async remove(orgId: string, product: SiteProduct) {
    await this.ctx.store.transaction(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      await tx.deleteOrgProduct(orgId, product);
    });
  }

  async grant(orgId: string, product: SiteProduct, emails: string[]) {
    return this.ctx.store.transaction(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      const accounts = await requireAccountsByEmail(tx, emails);
      const granted = await tx.grantAccess(
        orgId,
        product,
        accounts.map((a) => a.id),
        nowIso(this.ctx),
      );
      return { product, granted, alreadyHad: accounts.length - granted };
    });
  }

  async revoke(orgId: string, product: SiteProduct, accountId: string) {
    await this.ctx.store.transaction(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      await requireAccount(tx, accountId);
      if ((await tx.revokeAccess(orgId, product, [accountId])) === 0)
        throw notFound('access-not-found', `Account ${accountId} has no direct grant of ${product} (access through a group ends with the group membership).`);
    });
  }

  async access(orgId: string, product: SiteProduct, page: { limit: number; offset: number }) {
    return this.ctx.store.read(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      const { total, accounts } = await tx.listAccess(orgId, product, page);
      return { total, ...page, users: accounts.map((a) => ({ accountId: a.id, email: a.email, active: a.active })) };
    });
  }

  async groups(orgId: string, product: SiteProduct) {
    return this.ctx.store.read(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      return (await tx.listGroupProductMappings(orgId)).filter((m) => m.product === product).map((m) => m.groupName);
    });
  }

  async mapGroup(orgId: string, product: SiteProduct, groupName: string) {
    const name = groupName.trim();
    if (!name || name.length > 255)
      throw badRequest('invalid-group-name', 'A group name is 1 to 255 characters.', [{ path: 'params.groupName', message: 'empty or too long' }]);
    // (doc) Bitbucket and Trello manage their own access: a synced group cannot grant them.
    if (!GROUP_GRANTABLE(product)) {
      throw unprocessable('group-sync-cannot-grant', `A synced group cannot grant ${product}: ${product} manages its own access (workspaces and licences).`, [
        { path: 'params.product', message: 'not grantable through a group' },
      ]);
    }
    return this.ctx.store.transaction(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      await tx.setGroupProductMapping(orgId, name, product);
      return { orgId, product, groupName: name };
    });
  }

  async unmapGroup(orgId: string, product: SiteProduct, groupName: string) {
    await this.ctx.store.transaction(async (tx) => {
      await this.requireProduct(tx, orgId, product);
      if ((await tx.deleteGroupProductMapping(orgId, groupName, product)) === 0)
        throw notFound('group-mapping-not-found', `No mapping of group "${groupName}" to ${product}.`);
    });
  }

  private async requireProduct(tx: StoreTx, orgId: string, product: SiteProduct) {
    await requireOrg(tx, orgId);
    const found = (await tx.listOrgProducts(orgId)).find((p) => p.product === product);
    if (!found) throw conflict('product-not-enabled', `${product} is not enabled in this organization; PUT /api/orgs/${orgId}/products/${product} first.`);
    return found;
  }
}
