import { z } from 'zod';
import { describeIssues, withoutControlCharacters } from '@rehearsal/runtime';
import { scimBadRequest } from './scim-error.ts';

/** A SCIM Group as a client sends it, normalized like users (case-insensitive names). */
const member = z.object({
  value: z.string().min(1).max(256),
  type: z
    .enum(['User', 'Group', 'user', 'group'])
    .optional()
    .transform((t) => (t?.toLowerCase() === 'group' ? 'Group' : 'User')),
  display: z.string().nullish(),
  $ref: z.string().nullish(),
});

const groupSchema = z.object({
  displayName: withoutControlCharacters(z.string().trim().min(1, 'displayName is required').max(255)),
  externalId: z
    .string()
    .max(1024)
    .nullish()
    .transform((v) => v ?? null),
  members: z
    .array(member)
    .max(50_000)
    .nullish()
    .transform((v) => v ?? []),
});

export type ScimGroupInput = z.output<typeof groupSchema>;
export type ScimMemberRef = z.output<typeof member>;

export function canonicalGroupKeys(source: Record<string, unknown>): Record<string, unknown> {
  const names = ['displayName', 'externalId', 'members'];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name) out[name] = value;
  }
  return out;
}

export function parseMembers(value: unknown, where = 'members'): ScimMemberRef[] {
  const list = Array.isArray(value) ? value : [value];
  const result = z.array(member).max(50_000).safeParse(list);
  if (!result.success) throw scimBadRequest('invalidValue', `${where}: ${describeIssues(result.error.issues, '')[0]?.message ?? 'invalid member'}`);
  return result.data;
}

export function parseGroupResource(body: unknown): ScimGroupInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw scimBadRequest('invalidSyntax', 'A Group resource must be a JSON object.');
  const result = groupSchema.safeParse(canonicalGroupKeys(body as Record<string, unknown>));
  if (!result.success) {
    const [first] = describeIssues(result.error.issues, '');
    throw scimBadRequest('invalidValue', `${first?.path || 'Group'}: ${first?.message ?? 'invalid value'}`);
  }
  return result.data;
}
