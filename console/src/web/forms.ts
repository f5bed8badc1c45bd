import { z } from 'zod';

/** `?page=N`: a page of a list, from 1. */
export const pageParam = z
  .string()
  .regex(/^[1-9]\d{0,5}$/, 'A page is a whole number from 1.')
  .optional();

/** `?reason=`: a login or billing reason code, or any (empty). */
export const reasonParam = z
  .string()
  .max(64)
  .regex(/^[a-z0-9-]*$/, 'A reason code is lower-case words joined by hyphens.')
  .optional();

/** A submitted form, checked: its values, or a message per field to show beside it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

export function checkForm<S extends z.ZodType>(schema: S, input: unknown): Checked<z.output<S>> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return { ok: true, value: result.data };
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) errors[key] ??= 'This form has no such field.';
    else errors[String(issue.path[0] ?? 'form')] ??= issue.message;
  }
  return { ok: false, errors };
}
