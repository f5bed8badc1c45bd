import { Router, json, type Request, type Response } from 'express';
import type { Directory } from '../directories/directory.ts';
import { rejectRepeatedQuery, type Logger } from '@rehearsal/runtime';
import { SCIM_CONTENT_TYPE, ScimError, scimErrorMiddleware, scimNotFound } from './scim-error.ts';
import { resourceTypeDocuments, schemaDocuments, serviceProviderConfig } from './scim-schema.ts';
import { MAX_RESULTS, type ListParams, type ScimResponse, type ScimService } from './scim-service.ts';

/** Bodies over this size are refused with 413 before they are parsed. */
export const SCIM_BODY_LIMIT = '4mb';

/** `/scim/directory/{directoryId}/...`: RFC 7644 over the directory's bearer token. */
export function scimRouter(scim: ScimService, logger: Logger): Router {
  const router = Router({ mergeParams: true });
  const directoryOf = (res: Response) => res.locals.directory as Directory;
  const baseOf = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}`;
  const send = (res: Response, response: ScimResponse) => {
    res.status(response.status ?? 200).type(SCIM_CONTENT_TYPE);
    if (response.etag) res.set('ETag', response.etag);
    if (response.status === 201 && response.location) res.set('Location', response.location);
    res.send(JSON.stringify(response.body));
  };
  const query = (req: Request) => req.query as ListParams;
  const ifMatch = (req: Request) => req.get('if-match');

  router.use(async (req, res, next) => {
    res.locals.directory = await scim.authenticate(String(req.params.directoryId), req.get('authorization'));
    next();
  });
  // A repeated parameter is a 400 in SCIM's words (invalidValue), before any list reads it.
  router.use(rejectRepeatedQuery);
  router.use(json({ limit: SCIM_BODY_LIMIT, type: ['application/scim+json', 'application/json'] }));

  router.get('/ServiceProviderConfig', (req, res) => {
    const fidelity = directoryOf(res).scimFidelity;
    send(res, {
      body: serviceProviderConfig(baseOf(req), {
        maxResults: MAX_RESULTS[fidelity],
        maxPayloadSize: 4 * 1024 * 1024,
        filterSupported: true,
        sortSupported: fidelity === 'rfc',
      }),
    });
  });
  router.get('/ResourceTypes', (req, res) => send(res, { body: listOf(resourceTypeDocuments(baseOf(req))) }));
  router.get('/ResourceTypes/:name', (req, res) => {
    const found = resourceTypeDocuments(baseOf(req)).find((r) => r.id.toLowerCase() === String(req.params.name).toLowerCase());
    if (!found) throw scimNotFound(`No resource type ${req.params.name}.`);
    send(res, { body: found });
  });
  router.get('/Schemas', (req, res) => send(res, { body: listOf(schemaDocuments(baseOf(req))) }));
  router.get('/Schemas/:urn', (req, res) => {
    const found = schemaDocuments(baseOf(req)).find((s) => s.id.toLowerCase() === String(req.params.urn).toLowerCase());
    if (!found) throw scimNotFound(`No schema ${req.params.urn}.`);
    send(res, { body: found });
  });

  // Users and Groups answer the same six operations.
  for (const [path, resources] of [
    ['/Users', scim.users],
    ['/Groups', scim.groups],
  ] as const) {
    router.get(path, async (req, res) => send(res, await resources.list(directoryOf(res), query(req), baseOf(req))));
    router.post(path, async (req, res) => send(res, await resources.create(directoryOf(res), req.body, baseOf(req))));
    router.get(`${path}/:id`, async (req, res) => send(res, await resources.get(directoryOf(res), String(req.params.id), baseOf(req), query(req))));
    router.put(`${path}/:id`, async (req, res) =>
      send(res, await resources.replace(directoryOf(res), String(req.params.id), req.body, ifMatch(req), baseOf(req))),
    );
    router.patch(`${path}/:id`, async (req, res) =>
      send(res, await resources.patch(directoryOf(res), String(req.params.id), req.body, ifMatch(req), baseOf(req))),
    );
    router.delete(`${path}/:id`, async (req, res) => {
      await resources.delete(directoryOf(res), String(req.params.id), ifMatch(req));
      res.status(204).end();
    });
  }

  router.use((req) => {
    throw new ScimError(404, undefined, `No SCIM endpoint ${req.method} ${req.path}.`);
  });
  router.use(scimErrorMiddleware(logger));
  return router;
}

function listOf(resources: Record<string, unknown>[]) {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
