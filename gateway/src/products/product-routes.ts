import { Router, type Request, type Response } from 'express';
import { cookieOf } from '@rehearsal/runtime';
import type { GatewayContext } from '../context.ts';
import { noAccessPage, productPage } from '../pages.ts';
import { sessionOver } from '../sessions/session-routes.ts';
import { SESSION_COOKIE } from '../sessions/sessions.ts';
import { corePathOf, delegate, PRODUCT_PATHS } from './product-api.ts';

/** What core answers for a product page: Trello's enterprise and boards; the others only grant access. */
interface ProductAnswer {
  enterprise?: string;
  boards?: { name: string; access: string }[];
}

const productTitle = (name: string) =>
  name === 'trello'
    ? 'Trello'
    : (PRODUCT_PATHS[name] ?? name).replace(/(^|-)(\w)/g, (_m, dash: string, c: string) => `${dash ? ' ' : ''}${c.toUpperCase()}`).replace('Jsm', 'JSM');

/** Product pages: core answers for the person, on the gateway's word (an identity token); and the key to check that word. */
export function productRoutes(ctx: Pick<GatewayContext, 'core' | 'web' | 'sessions' | 'identity'>): Router {
  const { web, sessions } = ctx;
  const router = Router();
  const over = sessionOver(web);

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(ctx.identity.jwks());
  });

  /** A product's page (and its JSON, for API clients that ask at the page's URL). */
  const productRoute = (product: string, render: (body: ProductAnswer, csrf: string) => string) => async (req: Request, res: Response) => {
    const answer = await delegate(ctx, cookieOf(req, SESSION_COOKIE), corePathOf(product)!);
    if (answer.sessionEnded) return over(req, res, answer.sessionEnded);
    if (answer.status !== 200) {
      const { error } = JSON.parse(answer.text) as { error: { code: string; message: string } };
      // Logged in, but not into this product: say so, on a page that keeps the session (and its logout).
      if (answer.session && !web.wantsJson(req))
        return void res
          .status(answer.status)
          .type('html')
          .send(noAccessPage(productTitle(product), error.code, error.message, sessions.csrfToken(answer.session.id)));
      return web.refuse(req, res, answer.status, error.code, error.message);
    }
    if (web.wantsJson(req)) return void res.type('json').send(answer.text);
    res.type('html').send(render(JSON.parse(answer.text) as ProductAnswer, sessions.csrfToken(answer.session!.id)));
  };
  router.get(
    '/trello',
    productRoute('trello', (body, csrf) =>
      productPage(
        'Trello',
        `${body.enterprise}`,
        (body.boards ?? []).map((b) => `${b.name} (${b.access})`),
        csrf,
      ),
    ),
  );
  for (const [name, product] of Object.entries(PRODUCT_PATHS))
    router.get(
      `/${name}`,
      productRoute(name, (_body, csrf) => productPage(product, 'You have access.', [], csrf)),
    );
  return router;
}
