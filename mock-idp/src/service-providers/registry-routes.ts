import { IDP_REASONS } from '../reasons.ts';
import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@rehearsal/runtime';
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

const METADATA_TIMEOUT_MS = 5000;
async function fetchMetadata(url: string): Promise<string> {
  let response: globalThis.Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS), redirect: 'follow' });
  } catch (err) {
    throw IDP_REASONS.error('metadata-unreachable', `Could not fetch ${url}: ${(err as Error).message}.`, { status: 422 });
  }
  if (!response.ok) throw IDP_REASONS.error('metadata-unreachable', `${url} answered ${response.status}.`, { status: 422 });
  const text = await response.text();
  if (text.length > 512 * 1024) throw IDP_REASONS.error('metadata-too-large', `${url} returned more than 512 KiB.`, { status: 422 });
  return text;
}
