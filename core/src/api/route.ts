import type { Express, Request, RequestHandler, Response } from 'express';
import { json, text } from 'express';
import { z } from 'zod';
import { parseInput } from '@rehearsal/runtime';

/**
 * One table of routes drives both the express app and the OpenAPI document, so the
 * document cannot drift from what is served.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** Who may call: the admin key, or the gateway's own key (the admin key works there too). */
export type Audience = 'admin' | 'gateway';

export interface RouteInput<B, Q> {
  params: Record<string, string>;
  body: B;
  query: Q;
}

export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** OpenAPI form: `/api/orgs/{orgId}`. */
  path: string;
  summary: string;
  tag: string;
  audience: Audience;
  body?: B;
  /** `csv` routes take `text/csv`, validated as a string. */
  bodyFormat?: 'json' | 'csv';
  query?: Q;
  /** Success status; 204 routes send no body. */
  status?: 200 | 201 | 202 | 204;
  handle(input: RouteInput<z.output<B>, z.output<Q>>): Promise<unknown>;
}

/** Keeps the body and query types of one route while the table holds many. */
export const route = <B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(spec: RouteSpec<B, Q>) => spec as unknown as RouteSpec;

export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

const JSON_LIMIT = '2mb';
const parsers = {
  json: json({ limit: JSON_LIMIT, type: ['application/json', 'application/*+json'] }),
  csv: text({ limit: JSON_LIMIT, type: ['text/csv', 'text/plain'] }),
};

export function mountRoutes(app: Express, routes: RouteSpec[], authorize: (audience: Audience) => RequestHandler): void {
  for (const spec of routes) {
    const handlers: RequestHandler[] = [authorize(spec.audience)];
    if (spec.body) handlers.push(parsers[spec.bodyFormat ?? 'json']);
    handlers.push(async (req: Request, res: Response) => {
      const body = spec.body ? parseInput(spec.body, req.body, 'body') : undefined;
      const query = spec.query ? parseInput(spec.query, req.query, 'query') : undefined;
      const result = await spec.handle({ params: req.params as Record<string, string>, body, query });
      if (spec.status === 204) res.status(204).end();
      else res.status(spec.status ?? 200).json(result);
    });
    app[spec.method](expressPath(spec.path), ...handlers);
  }
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable reason code.' },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, expected: { type: 'string' } } },
        },
      },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

export function openApiDocument(routes: RouteSpec[], info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const parameters: unknown[] = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (spec.query) {
      const query = jsonSchema(spec.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
    }
    const operation: Record<string, unknown> = {
      operationId: `${spec.method}${spec.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: spec.summary,
      tags: [spec.tag],
      security: [{ [spec.audience === 'admin' ? 'adminKey' : 'gatewayKey']: [] }],
      parameters,
      responses: {
        [String(spec.status ?? 200)]: { description: spec.status === 204 ? 'Done; no body.' : 'Success.' },
        '4XX': { description: 'Refused, with a reason code.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (spec.body) {
      const mediaType = spec.bodyFormat === 'csv' ? 'text/csv' : 'application/json';
      operation.requestBody = { required: true, content: { [mediaType]: { schema: jsonSchema(spec.body) } } };
    }
    (paths[spec.path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'CORE_ADMIN_KEY' },
        gatewayKey: { type: 'http', scheme: 'bearer', description: 'CORE_GATEWAY_KEY (the admin key is accepted too)' },
      },
    },
  };
}
