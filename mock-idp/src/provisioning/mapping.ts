import { z } from 'zod';
import { type ErrorDetail } from '@rehearsal/runtime';
import { badRequest } from '../reasons.ts';
import type { IdpUser } from '../directory/user.ts';
import { evaluate, ExpressionError, parseExpression, SOURCE_ATTRIBUTES, type Expression, type SourceValues } from './expression.ts';
import { parseScimPath, typed, USER_SCHEMA, writePath, type ScimPath, type ScimResource, type ScimValue } from './scim-path.ts';

export const mappingInput = z
  .object({
    target: z.string().min(1).max(512),
    source: z.string().min(1).max(2048),
    /** `on-create`: sent when the user is created, never updated afterwards (an attribute the target owns after). */
    apply: z.enum(['always', 'on-create']).default('always'),
    /** The attribute that finds an existing user on the target; one per target. */
    matching: z.boolean().default(false),
  })
  .strict();
export type MappingInput = z.input<typeof mappingInput>;

export interface Mapping {
  target: ScimPath;
  source: Expression;
  sourceText: string;
  apply: 'always' | 'on-create';
  matching: boolean;
}

/** The values a user's mappings produce, keyed by target path, in mapping order. */
export type MappedValues = Map<string, ScimValue>;

/**
 * Parses mappings once. `overrides` replace the profile's mapping for the same
 * target or add new ones; every mistake is a 400 naming the mapping and the
 * position in its expression.
 */
export function compileMappings(defaults: MappingInput[], overrides: MappingInput[] = [], where = 'mappings'): Mapping[] {
  const details: ErrorDetail[] = [];
  const compiled: Mapping[] = [];
  const parsedOverrides = overrides.map((m, i) => ({ m: mappingInput.parse(m), where: `${where}[${i}]` }));
  // An override takes its default's place, so that requests keep the profile's attribute order.
  const sameTarget = (a: { target: string }, b: { target: string }) => a.target.toLowerCase() === b.target.toLowerCase();
  // A target that marks its own matching attribute takes that role from the profile's.
  const ownMatching = parsedOverrides.some((o) => o.m.matching);
  const merged = [
    ...defaults.map(
      (m, i) =>
        parsedOverrides.find((o) => sameTarget(o.m, m)) ?? {
          m: { ...mappingInput.parse(m), ...(ownMatching ? { matching: false } : {}) },
          where: `profile mapping ${i}`,
        },
    ),
    ...parsedOverrides.filter((o) => !defaults.some((d) => sameTarget(o.m, d))),
  ];
  for (const { m, where: at } of merged) {
    const target = parseScimPath(m.target);
    if (!target) {
      details.push({
        path: `${at}.target`,
        message: `"${m.target}" is not a SCIM attribute path (for example name.givenName or emails[type eq "work"].value)`,
      });
      continue;
    }
    try {
      compiled.push({ target, source: parseExpression(m.source), sourceText: m.source, apply: m.apply, matching: m.matching });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      details.push({ path: `${at}.source`, message: `${m.target} <- ${m.source}: at position ${err.position}: ${err.message}` });
    }
  }
  const seen = new Set<string>();
  for (const mapping of compiled) {
    const key = mapping.target.text.toLowerCase();
    if (seen.has(key)) details.push({ path: where, message: `${mapping.target.text} is mapped twice` });
    seen.add(key);
  }
  const matching = compiled.filter((m) => m.matching);
  if (matching.length > 1)
    details.push({ path: where, message: `only one matching attribute: ${matching.map((m) => m.target.text).join(', ')} are all marked` });
  if (!compiled.some((m) => m.target.text === 'userName')) details.push({ path: where, message: 'userName must be mapped: SCIM servers require it' });
  if (details.length) throw badRequest('invalid-mapping', `${details[0]!.path}: ${details[0]!.message}.`, details);
  // Without a marked one, userName matches, as in both vendors' defaults.
  if (!matching.length) compiled.find((m) => m.target.text === 'userName')!.matching = true;
  return compiled;
}

/** The user's fields as expressions read them: strings, or absent. */
export function sourceValues(user: IdpUser): SourceValues {
  return Object.fromEntries(SOURCE_ATTRIBUTES.flatMap((name) => (user[name] === undefined ? [] : [[name, String(user[name])]])));
}

/** What the mappings make of a user: every target path with a value. */
export function mapUser(mappings: Mapping[], user: IdpUser): MappedValues {
  const source = sourceValues(user);
  const values: MappedValues = new Map();
  for (const mapping of mappings) {
    const value = evaluate(mapping.source, source);
    if (value !== undefined) values.set(mapping.target.text, typed(mapping.target, value));
  }
  return values;
}

/** A SCIM User resource holding `values`, with the schemas its attributes need. */
export function userResource(mappings: Mapping[], values: MappedValues): ScimResource {
  const resource: ScimResource = { schemas: [USER_SCHEMA] };
  for (const mapping of mappings) {
    const value = values.get(mapping.target.text);
    if (value === undefined) continue;
    writePath(resource, mapping.target, value);
    if (mapping.target.schema && !(resource.schemas as string[]).includes(mapping.target.schema)) (resource.schemas as string[]).push(mapping.target.schema);
  }
  return resource;
}
