import { z } from 'zod';
import type { ErrorDetail } from './errors.ts';
import { RUNTIME_REASONS } from './runtime-reasons.ts';

/**
 * C0 and C1 controls, DEL, the Unicode line and paragraph separators and the
 * bidirectional overrides: nothing a name needs, and each can break or reorder
 * what logs, tables and pages show.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;
export const CONTROL_CHARACTERS_MESSAGE = 'control characters are not allowed';

/** A string without control characters (see CONTROL_CHARACTERS). */
export const withoutControlCharacters = <T extends z.ZodString>(schema: T) =>
  schema.refine((v) => !CONTROL_CHARACTERS.test(v), { message: CONTROL_CHARACTERS_MESSAGE });

/** A name or label people type: trimmed, not empty, bounded, no control characters. */
export const plainText = (max = 255) => withoutControlCharacters(z.string().trim().min(1).max(max));

/** Turns schema issues into details that name the offending field and the expected form. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string): ErrorDetail[] {
  return issues.flatMap((issue): ErrorDetail[] => {
    const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field' }));
    }
    const detail: ErrorDetail = { path, message: issue.message };
    if (issue.code === 'invalid_type') detail.expected = issue.expected;
    if (issue.code === 'invalid_value') detail.expected = issue.values.map(String).join(' | ');
    return [detail];
  });
}

/** Validates request input; a mismatch is a 400 `invalid-request` naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = describeIssues(result.error.issues, where);
  const first = details[0];
  throw RUNTIME_REASONS.error('invalid-request', first ? `Invalid ${first.path || where}: ${first.message}` : `Invalid ${where}`, { details });
}
