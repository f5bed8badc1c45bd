import type { Express } from 'express';
import { createCoreApp } from '@rehearsal/core';
import { generateCredential } from '@rehearsal/runtime/credentials';
import { createGatewayApp } from '@rehearsal/gateway';
import { createIdpApp } from '@rehearsal/mock-idp';
import { createConsoleApp } from '@rehearsal/console';
import { SqliteStore } from '../../../core/src/store/sqlite-store.ts';

/** One route of a service: `GET /api/orgs/:orgId`, as express holds it. */
export interface Route {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string;
}

/** Every route an express app serves, from its router's own table, mounted routers included. */
export function routesOf(app: Express): Route[] {
  const walk = (stack: Layer[], prefix: string): Route[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        return paths.flatMap((path) =>
          Object.keys(layer.route!.methods)
            .filter((m) => m !== '_all')
            .map((method) => ({ method: method.toUpperCase(), path: prefix + path })),
        );
      }
      if (layer.handle?.stack) return walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      return [];
    });
  const routes = walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Map(routes.map((r) => [`${r.method} ${r.path}`, r])).values()];
}

/**
 * The route tables of the services and the console, read from apps built in this
 * process for that purpose only (the services under test run as processes).
 */
export async function serviceRoutes(): Promise<Record<'core' | 'idp' | 'gateway' | 'console', Route[]>> {
  const store = new SqliteStore(':memory:');
  const core = createCoreApp({
    store,
    credentials: { adminKey: 'route-table-admin-key-0123', gatewayKey: 'route-table-gateway-key-0123' },
    gatewayUrl: 'http://localhost:8000',
  });
  const idp = createIdpApp({ publicUrl: 'http://localhost:7000', credential: await generateCredential('route table', new Date()) });
  const gateway = createGatewayApp({
    publicUrl: 'http://localhost:8000',
    coreUrl: 'http://localhost:9000',
    coreKey: 'route-table-gateway-key-0123',
    adminKey: 'route-table-admin-key-0123',
  });
  const console = createConsoleApp({
    publicUrl: 'http://localhost:7900',
    services: { core: 'http://localhost:9000', idp: 'http://localhost:7000', gateway: 'http://localhost:8000' },
    keys: { coreAdmin: 'route-table-admin-key-0123', gatewayAdmin: 'route-table-admin-key-0123', harness: 'route-table-admin-key-0123' },
  });
  const tables = { core: routesOf(core), idp: routesOf(idp), gateway: routesOf(gateway), console: routesOf(console) };
  await store.close();
  // The product API is answered before express (see the gateway's product-api.ts): it is a route all the same.
  tables.gateway.push({ method: 'GET', path: '/api/products/:product' });
  return tables;
}
