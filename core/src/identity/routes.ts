import { Router } from 'express';
import type { CoreContext } from '../context.ts';
import { SITE_PRODUCTS, type SiteProduct } from '../products/product.ts';
import { forbidden, notFound } from '../reasons.ts';
import { TrelloService } from '../trello/trello-service.ts';
import { identityOf, type Identity } from './identity.ts';

const noAccess = (product: string, why: string) => forbidden('no-product-access', `This account cannot use ${product}: ${why}. An admin can grant access.`);

/**
 * What products show the person the gateway vouches for: their site products
 * and, in Trello, the boards they may open. Behind identityAuth only.
 */
export function identityRoutes(ctx: CoreContext): Router {
  const router = Router();
  const trello = new TrelloService(ctx);

  const productsOf = (identity: Identity) =>
    ctx.store.read(async (tx) => {
      const account = await tx.getAccount(identity.accountId);
      if (!account || !account.active) throw forbidden('account-deactivated', 'This account is deactivated.');
      const products = account.managedBy ? await tx.listProductsOf(account.managedBy, account.id) : [];
      const enterprise = account.managedBy ? await tx.getEnterpriseByOrg(account.managedBy) : undefined;
      const trelloAccount = await tx.getTrelloAccount(account.id);
      return { account, products, trello: enterprise && trelloAccount?.active ? { enterpriseId: enterprise.id, enterprise: enterprise.name } : null };
    });

  router.get('/', async (_req, res) => {
    const { account, products, trello: t } = await productsOf(identityOf(res));
    res.json({ accountId: account.id, email: account.email, displayName: account.displayName, products, trello: t });
  });

  router.get('/products/:product', async (req, res) => {
    const product = req.params.product as SiteProduct;
    if (!SITE_PRODUCTS.includes(product)) throw notFound('product-unknown', `No product ${req.params.product}: one of ${SITE_PRODUCTS.join(', ')}.`);
    const { products } = await productsOf(identityOf(res));
    if (!products.includes(product)) throw noAccess(product, 'it has no licence for it, directly or through a group');
    res.json({ product, access: true });
  });

  router.get('/trello/boards', async (_req, res) => {
    const { account, trello: t } = await productsOf(identityOf(res));
    if (!t) throw noAccess('Trello', 'it has no active Trello account in an Enterprise of its organization');
    const visible = await trello.visibleBoards(t.enterpriseId, account.id);
    res.json({ enterprise: t.enterprise, ...visible });
  });
  return router;
}
