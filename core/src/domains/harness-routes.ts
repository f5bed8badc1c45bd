import { Router, json } from 'express';
import { z } from 'zod';
import { parseInput, passOn, requireHarnessKey } from '@rehearsal/runtime';
import { badRequest, notFound } from '../reasons.ts';
import { normalizeDomainName } from './domain.ts';
import type { HarnessDns } from './verifier.ts';

/**
 * `/_rehearsal/dns`: publish TXT records or a verification file for a domain, so
 * domain verification runs without the real DNS or web. While anything is
 * published, the harness answers every verification.
 */
const publication = z.strictObject({
  domain: z.string().min(1).max(253),
  txt: z.union([z.string().max(4000), z.array(z.string().max(4000)).max(50)]).optional(),
  file: z.string().max(65536).nullable().optional(),
});

/**
 * Every call needs the harness key: the records are verification tokens, and publishing one verifies a domain.
 * Changes are passed on to core's other replicas, any of which may run the verification.
 */
export function harnessDnsRouter(dns: HarnessDns, keys: string[], siblings: string[] = []): Router {
  const router = Router();
  router.use('/_rehearsal/dns', requireHarnessKey(keys), json({ limit: '256kb' }));
  router.get('/_rehearsal/dns', (_req, res) => {
    res.json({ active: dns.active, records: dns.list() });
  });
  router.post('/_rehearsal/dns', async (req, res) => {
    const body = parseInput(publication, req.body, 'body');
    const domain = normalizeDomainName(body.domain);
    if (!domain) throw badRequest('invalid-domain', `"${body.domain}" is not a domain name.`, [{ path: 'body.domain', message: 'not a domain name' }]);
    if (body.txt === undefined && body.file === undefined) {
      throw badRequest('nothing-to-publish', 'Give txt (a record or a list) and/or file (the body of the verification file).', [
        { path: 'body', message: 'txt or file required' },
      ]);
    }
    const txt = body.txt === undefined ? undefined : Array.isArray(body.txt) ? body.txt : [body.txt];
    const published = dns.publish(domain, { txt, file: body.file });
    await passOn(siblings, req, 'POST', '/_rehearsal/dns', req.body);
    res.status(201).json({ domain, ...published });
  });
  router.delete('/_rehearsal/dns/:domain', async (req, res) => {
    const domain = normalizeDomainName(req.params.domain);
    if (!domain || !dns.remove(domain)) throw notFound('dns-records-not-found', `Nothing is published for ${req.params.domain}.`);
    await passOn(siblings, req, 'DELETE', `/_rehearsal/dns/${encodeURIComponent(domain)}`, undefined);
    res.status(204).end();
  });
  router.delete('/_rehearsal/dns', async (req, res) => {
    dns.clear();
    await passOn(siblings, req, 'DELETE', '/_rehearsal/dns', undefined);
    res.status(204).end();
  });
  return router;
}
