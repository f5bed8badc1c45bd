import { Router } from 'express';
import type { IdpContext } from '../context.ts';
import { SIMPLE_FAULTS, XSW_VARIANTS } from '../faults/fault.ts';

/** What testers inspect and arrange: fault rules, the ledger of every SAML message, and the IdP's sessions. */
export function ledgerRoutes(ctx: Pick<IdpContext, 'faults' | 'ledger' | 'sso' | 'directory' | 'parsers'>): Router {
  const { faults, ledger, sso, directory } = ctx;
  const router = Router();
  router.get('/api/faults', (_req, res) => res.json({ rules: faults.list(), available: [...SIMPLE_FAULTS, 'clock-skew:<seconds>', ...XSW_VARIANTS] }));
  router.post('/api/faults', ctx.parsers.body, (req, res) => res.status(201).json(faults.add(req.body)));
  router.delete('/api/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  router.delete('/api/faults/:id', (req, res) => {
    faults.remove(String(req.params.id));
    res.status(204).end();
  });
  router.get('/api/ledger', async (req, res) => res.json(await ledger.list(req.query)));
  router.delete('/api/ledger', async (_req, res) => {
    await ledger.clear();
    res.status(204).end();
  });
  router.get('/api/sessions', (_req, res) =>
    res.json({
      sessions: sso.sessions.list().map((s) => ({
        user: directory.findUser(s.userId)?.email,
        sessionIndex: s.sessionIndex,
        authnInstant: s.authnInstant.toISOString(),
        expiresAt: new Date(s.expiresAt).toISOString(),
        mfa: s.mfa,
        serviceProviders: [...s.participants.keys()],
      })),
    }),
  );
  return router;
}
