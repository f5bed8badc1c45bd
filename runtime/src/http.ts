import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookie } from 'cookie';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { RehearsalError } from './errors.ts';
import { RUNTIME_REASONS } from './runtime-reasons.ts';
import type { Logger } from './logger.ts';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Body-parser failures carry a `type`; map them to clear client errors. */
const PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'malformed-json', message: 'The request body is not valid JSON.' },
  'entity.too.large': { status: 413, code: 'payload-too-large', message: 'The request body is too large.' },
  'encoding.unsupported': { status: 415, code: 'unsupported-encoding', message: 'The request body encoding is not supported.' },
  'charset.unsupported': { status: 415, code: 'unsupported-charset', message: 'The request body charset is not supported.' },
  'request.aborted': { status: 400, code: 'request-aborted', message: 'The request was aborted.' },
};

export function toErrorResponse(err: unknown, logger: Logger): { status: number; body: ErrorBody } {
  if (err instanceof RehearsalError) {
    const error: ErrorBody['error'] = { code: err.code, message: err.message };
    if (err.details?.length) error.details = err.details;
    return { status: err.status, body: { error } };
  }
  const type = (err as { type?: unknown })?.type;
  const known = typeof type === 'string' ? PARSER_ERRORS[type] : undefined;
  if (known) return { status: known.status, body: { error: { code: known.code, message: known.message } } };
  const status = Number((err as { status?: unknown })?.status);
  if (status >= 400 && status < 500) {
    return { status, body: { error: { code: 'bad-request', message: (err as Error).message || 'Bad request.' } } };
  }
  // Unexpected: log the stack for us, tell the client nothing internal.
  logger.error('unhandled error', { err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) });
  return { status: 500, body: { error: { code: 'internal-error', message: 'An unexpected error occurred; see the service log.' } } };
}

/** The last middleware of every service: every error becomes `{error: {code, message, details?}}`. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, body } = toErrorResponse(err, logger);
    res.status(status).json(body);
  };
}

export const routeNotFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'route-not-found', message: `No route for ${req.method} ${req.path}.` } });
};

/**
 * One cookie of a request, decoded; services read only their own
 * (`rehearsal_idp_*`, `rehearsal_gw_*`). The `cookie` package splits the header
 * (quotes, spaces and stray `;` included); a value that does not decode is
 * treated as absent, never as an error: a cookie is whatever the client sent.
 */
export function cookieOf(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || !header.includes(name)) return undefined;
  const raw = parseCookie(header, { decode: (value) => value })[name];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether a presented secret (key, CSRF token) equals the expected one, in
 * constant time whatever either holds: both are hashed first, so lengths and
 * non-ASCII characters can neither throw nor leak through timing.
 */
export function sameSecret(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string' || !presented || !expected) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/**
 * Every service's query strings name each parameter once: a repeated one (which
 * the query parser turns into an array) is refused with a 400 naming it, before
 * any route reads it as a string.
 */
export const rejectRepeatedQuery: RequestHandler = (req, _res, next) => {
  const query = req.query as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) {
      return next(
        RUNTIME_REASONS.error('query-parameter-repeated', `The query parameter "${name}" is given ${value.length} times; give it once.`, {
          details: [{ path: `query.${name}`, message: 'repeated', expected: 'one value' }],
        }),
      );
    }
  }
  next();
};

/**
 * Holds a response's end until `written()` settles (whether or not it fails):
 * what the answer changed is stored where the next request, on any replica,
 * reads it before the client can send that request.
 */
export function endAfter(res: ServerResponse, written: () => Promise<unknown>): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    void written()
      .catch(() => undefined)
      .finally(() => end(...args));
    return res;
  }) as ServerResponse['end'];
}
