/**
 * Store failures the services answer, whichever store raised them. Nothing
 * outside `store/` reads a SQLite or PostgreSQL error code.
 */

import { RehearsalError } from '@rehearsal/runtime';

/** The store cannot be reached (the database is down or restarting): a 503, to be tried again shortly. */
export class StoreUnavailableError extends RehearsalError {
  constructor(cause: unknown) {
    // The cause (an address, a server message) is for the log, not for the client.
    super('store-unavailable', 'The store cannot be reached; try again shortly.', { status: 503 });
    this.name = 'StoreUnavailableError';
    this.cause = cause;
  }
}

/**
 * A value the store cannot hold: PostgreSQL keeps no NUL character in text (SQLite
 * does). Inputs are checked before they reach the store; an id taken from a path is
 * not, and a request carrying one is a bad request, never a failure of the service.
 */
export class StoreValueError extends RehearsalError {
  constructor(cause: unknown) {
    super('invalid-request', 'A value in the request holds a character that cannot be stored or looked up (NUL).', { status: 400 });
    this.name = 'StoreValueError';
    this.cause = cause;
  }
}

/** PostgreSQL's answer to a NUL in text, or to a character its encoding has no room for. */
export const isUnstorableValue = (err: unknown) => ['22021', '22P05'].includes((err as { code?: string })?.code ?? '');

/** The table whose uniqueness rule a write broke, or undefined when the error is anything else. */
export function uniqueViolationTable(err: unknown): string | undefined {
  const e = err as { code?: string; table?: string; message?: string };
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return /constraint failed: (\w+)\./.exec(e.message ?? '')?.[1];
  }
  if (e?.code === '23505') return e.table;
  return undefined;
}

// Connection failures: no server, a server shutting down or starting, a connection cut.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

/** Whether a PostgreSQL client error means the server cannot be reached (rather than a bad statement). */
export function isConnectionFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(e.message ?? '');
}

/** Whether a write broke one of the schema's CHECK rules. */
export function isCheckViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'SQLITE_CONSTRAINT_CHECK' || e?.code === '23514';
}
