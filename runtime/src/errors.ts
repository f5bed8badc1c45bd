/**
 * Every decision and every refusal carries a stable machine-readable code plus a
 * sentence for people. RehearsalError is how a refusal travels to the HTTP layer.
 */
export interface ErrorDetail {
  /** Where the problem is, e.g. `body.members[3].email` or `CORE_PORT`. */
  path?: string;
  message: string;
  /** What form was expected, when that helps. */
  expected?: string;
  [extra: string]: unknown;
}

export class RehearsalError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: string, message: string, options: { status?: number; details?: ErrorDetail[] } = {}) {
    super(message);
    this.name = 'RehearsalError';
    this.code = code;
    this.status = options.status ?? 400;
    this.details = options.details;
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetail[]) => new RehearsalError(code, message, { status: 400, details });
export const unauthorized = (code: string, message: string) => new RehearsalError(code, message, { status: 401 });
export const forbidden = (code: string, message: string, details?: ErrorDetail[]) => new RehearsalError(code, message, { status: 403, details });
export const notFound = (code: string, message: string) => new RehearsalError(code, message, { status: 404 });
export const conflict = (code: string, message: string, details?: ErrorDetail[]) => new RehearsalError(code, message, { status: 409, details });
/** A well-formed request that the organization's rules do not allow. */
export const unprocessable = (code: string, message: string, details?: ErrorDetail[]) => new RehearsalError(code, message, { status: 422, details });
