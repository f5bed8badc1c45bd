import type { z } from 'zod';
import { badRequest, type ErrorDetail } from './errors.ts';

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
  throw badRequest(
    'invalid-request',
    first ? `Invalid ${first.path || where}: ${first.message}` : `Invalid ${where}`,
    details,
  );
}
