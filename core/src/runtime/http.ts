import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import { RehearsalError } from './errors.ts';
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

/** One cookie of a request, decoded; services read only their own (`rehearsal_idp_*`, `rehearsal_gw_*`). */
export function cookieOf(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
