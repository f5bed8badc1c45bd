import type { z } from 'zod';

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
