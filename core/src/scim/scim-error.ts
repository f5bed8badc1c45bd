import type { ErrorRequestHandler } from 'express';
import type { Logger } from '@rehearsal/runtime';
import { RehearsalError } from '@rehearsal/runtime';

/** RFC 7644 §3.12 error types. */
export type ScimType =
  'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    /** For 429: the seconds after which a retry fits (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export const scimBadRequest = (scimType: ScimType, detail: string) => new ScimError(400, scimType, detail);
export const scimNotFound = (detail: string) => new ScimError(404, undefined, detail);
export const scimConflict = (detail: string) => new ScimError(409, 'uniqueness', detail);

export function scimErrorBody(status: number, detail: string, scimType?: ScimType) {
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** Body-parser failures, in SCIM's words. */
const PARSER_ERRORS: Record<string, [number, ScimType | undefined, string]> = {
  'entity.parse.failed': [400, 'invalidSyntax', 'The request body is not valid JSON.'],
  'entity.too.large': [413, undefined, 'The request body is larger than this server accepts.'],
  'encoding.unsupported': [415, undefined, 'The request body encoding is not supported.'],
  'charset.unsupported': [415, undefined, 'The request body charset is not supported.'],
};

/** Every failure under /scim answers with the RFC 7644 error body, never a stack. */
export function scimErrorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    // body-parser's errors (http-errors) carry a type and a status.
    const parserError = err && typeof err === 'object' ? (err as { type?: unknown; status?: unknown; message?: unknown }) : undefined;
    let status: number;
    let scimType: ScimType | undefined;
    let detail: string;
    if (err instanceof ScimError) {
      ({ status, scimType, detail } = err);
    } else if (err instanceof RehearsalError) {
      status = err.status;
      detail = err.message;
      scimType = err.status === 400 ? 'invalidValue' : err.status === 409 ? 'uniqueness' : undefined;
    } else if (typeof parserError?.type === 'string' && PARSER_ERRORS[parserError.type]) {
      [status, scimType, detail] = PARSER_ERRORS[parserError.type]!;
    } else if (Number(parserError?.status) >= 400 && Number(parserError?.status) < 500) {
      // Other client errors the body parser raises (a body that is not the gzip it claims to be...).
      status = Number(parserError!.status);
      scimType = status === 400 ? 'invalidSyntax' : undefined;
      detail = `The request could not be read: ${typeof parserError!.message === 'string' ? parserError!.message : 'bad request'}.`;
    } else {
      logger.error('unhandled SCIM error', { err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) });
      status = 500;
      detail = 'An unexpected error occurred; see the service log.';
    }
    if (status === 401) res.set('WWW-Authenticate', 'Bearer realm="rehearsal-scim"');
    if (err instanceof ScimError && err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
    res
      .status(status)
      .type(SCIM_CONTENT_TYPE)
      .send(JSON.stringify(scimErrorBody(status, detail, scimType)));
  };
}
