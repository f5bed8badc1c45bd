import { IDP_REASONS } from '../reasons.ts';
import { Router } from 'express';
import { z } from 'zod';
import { fetchDocument, FetchFailure, parseInput } from '@rehearsal/runtime';
import type { IdpContext } from '../context.ts';
import { serviceProviderFromMetadata } from './sp-metadata.ts';
import { serviceProviderView } from './service-provider.ts';

const metadataImport = z
  .object({
    xml: z
      .string()
      .min(1)
      .max(512 * 1024)
      .optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    overrides: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((v) => (v.xml === undefined) !== (v.url === undefined), { message: 'give either xml or url' });

/** The SP registry: which service providers the IdP answers, registered by hand or from their metadata. */
export function registryRoutes(ctx: Pick<IdpContext, 'providers' | 'parsers'>): Router {
  const { providers } = ctx;
  const body = ctx.parsers.body;
  const router = Router();
  router.get('/api/service-providers', (_req, res) => res.json({ serviceProviders: providers.list().map(serviceProviderView) }));
  router.post('/api/service-providers', body, (req, res) => res.status(201).json(serviceProviderView(providers.register(req.body))));
  /** Metadata in, an SP registered or replaced by its entity ID: 201 the first time, 200 after. */
  router.post('/api/service-providers/import', body, async (req, res) => {
    const input = parseInput(metadataImport, req.body, 'body');
    const xml = input.xml ?? (await fetchMetadata(input.url!));
    const { sp, created } = providers.upsert(serviceProviderFromMetadata(xml, input.overrides));
    res.status(created ? 201 : 200).json(serviceProviderView(sp));
  });
  // Entity IDs are URLs: they travel URL-encoded in the path.
  router.get('/api/service-providers/:entityId', (req, res) => res.json(serviceProviderView(providers.get(String(req.params.entityId)))));
  router.put('/api/service-providers/:entityId', body, (req, res) => res.json(serviceProviderView(providers.replace(String(req.params.entityId), req.body))));
  router.delete('/api/service-providers/:entityId', (req, res) => {
    providers.remove(String(req.params.entityId));
    res.status(204).end();
  });
  return router;
}

/** SP metadata at a URL: 5 seconds, 512 KiB. */
async function fetchMetadata(url: string): Promise<string> {
  try {
    return await fetchDocument(url, { maxBytes: 512 * 1024, timeoutMs: 5000 });
  } catch (err) {
    if (!(err instanceof FetchFailure)) throw err;
    throw IDP_REASONS.error(err.reason === 'too-large' ? 'metadata-too-large' : 'metadata-unreachable', err.message, { status: 422 });
  }
}
