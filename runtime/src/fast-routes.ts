import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { toErrorResponse } from './http.ts';
import type { Logger } from './logger.ts';

/**
 * A route answered before express dispatches: the hot paths (the gateway's
 * product API, the mock IdP's headless login) where express's router walk,
 * prototype swap and response helpers cost as much as the work itself.
 * Returns false for a request it does not take, which express then handles.
 */
export type FastRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Puts fast routes in front of an express app. `handle` is how express
 * dispatches (app.listen and http.createServer(app) both end there); its
 * types omit it.
 */
export function withFastRoutes(app: Express, routes: FastRoute[], logger: Logger): Express {
  const dispatcher = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void };
  const dispatch = dispatcher.handle.bind(app);
  dispatcher.handle = (req, res, next) => {
    let answered = false;
    try {
      for (const route of routes) if ((answered = route(req, res))) break;
    } catch (err) {
      // The last resort outside express: whatever went wrong, this request fails and the process lives.
      sendError(res, err, logger);
      return;
    }
    if (!answered) dispatch(req, res, next);
  };
  return app;
}

/** A JSON answer written directly: no ETag, never cached. */
export function sendJson(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Any error as every service's JSON error body, with the status express's error handler would give it. */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  const { status, body } = toErrorResponse(err, logger);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, JSON.stringify(body));
}

/** Whether a request carries a plain JSON body the fast path may read: anything unusual is left to express's body parser. */
export function isPlainJson(req: IncomingMessage): boolean {
  const type = req.headers['content-type']?.toLowerCase().replace(/\s+/g, '');
  const encoding = req.headers['content-encoding'];
  return (type === 'application/json' || type === 'application/json;charset=utf-8') && (encoding === undefined || encoding === 'identity');
}

/**
 * A JSON body read up to `limit` bytes, failing the way express's JSON parser
 * does (the `type` of its errors, which toErrorResponse maps to 400 and 413):
 * invalid JSON and a top level that is not an object or array are malformed;
 * an empty body is `{}`.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (type: string) => Object.assign(new Error(type), { type });
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(fail('entity.too.large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      failed = true;
      reject(fail('request.aborted'));
    });
    req.on('aborted', () => {
      failed = true;
      reject(fail('request.aborted'));
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks, size).toString('utf8');
      if (text.trim() === '') return resolve({}); // as express's parser has it
      try {
        const value: unknown = JSON.parse(text);
        if (value === null || typeof value !== 'object') throw new Error('not an object or array');
        resolve(value);
      } catch {
        reject(fail('entity.parse.failed'));
      }
    });
  });
}
