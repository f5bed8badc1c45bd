import { RehearsalError, type ErrorDetail } from './errors.ts';

/**
 * A package's reason codes, declared once: each code with the HTTP status it
 * answers with and the sentence that says what it means. Refusals are made
 * from the table, so a code nobody declared does not compile, and the README
 * lists them from the same tables (`npm run docs`).
 */
export interface Reason {
  /** The status the code answers with; a list when the code means the same thing at endpoints that answer differently. */
  status: number | readonly number[];
  sentence: string;
}

export type ReasonTable = Readonly<Record<string, Reason>>;

export interface Reasons<T extends ReasonTable> {
  readonly table: T;
  /** The status `code` answers with (its first, when the table lists several). */
  statusOf(code: keyof T & string): number;
  /**
   * A refusal with `code`: `message` says what happened this time (the
   * sentence when absent); `status` picks one of the statuses the table lists.
   */
  error(code: keyof T & string, message?: string, options?: { status?: number; details?: ErrorDetail[] }): RehearsalError;
}

export function reasons<const T extends ReasonTable>(table: T): Reasons<T> {
  const statuses = (code: string): readonly number[] => {
    const reason = table[code];
    if (!reason) throw new Error(`reason code ${code} is not declared`);
    return typeof reason.status === 'number' ? [reason.status] : reason.status;
  };
  return {
    table,
    statusOf: (code) => statuses(code)[0]!,
    error(code, message, options = {}) {
      const allowed = statuses(code);
      const status = options.status ?? allowed[0]!;
      // A status the table does not list is a mistake in this code base, not in the request.
      if (!allowed.includes(status)) throw new Error(`reason code ${code} answers ${allowed.join(' or ')}, not ${status}`);
      return new RehearsalError(code, message ?? table[code]!.sentence, { status, ...(options.details ? { details: options.details } : {}) });
    },
  };
}

/** The table as Markdown rows (code, status, meaning), for the README. */
export function reasonsMarkdown(table: ReasonTable): string {
  const rows = Object.entries(table)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, r]) => `| \`${code}\` | ${[r.status].flat().join(', ')} | ${r.sentence.replace(/\|/g, '\\|')} |`);
  return ['| Code | HTTP | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/**
 * The usual refusals, bound to a package's table: the code must be declared
 * there, with the status the helper answers (`notFound` for a 404 code...).
 */
export function refusals<T extends ReasonTable>(r: Reasons<T>) {
  type Code = keyof T & string;
  const at =
    (status: number) =>
    (code: Code, message?: string, details?: ErrorDetail[]): RehearsalError =>
      r.error(code, message, { status, ...(details ? { details } : {}) });
  return { badRequest: at(400), unauthorized: at(401), forbidden: at(403), notFound: at(404), conflict: at(409), unprocessable: at(422) };
}
