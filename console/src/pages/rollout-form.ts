import { z } from 'zod';
import { parseDuration } from '@rehearsal/runtime';
import { checkForm, type Checked } from '../web/forms.ts';

/** Emails pasted, typed or read from a CSV file: at most as many as core's rollout takes. */
export const MAX_PEOPLE = 10_000;
const EMAIL = /^[^\s@,;"<>]+@[^\s@,;"<>]+\.[^\s@,;"<>]+$/;

/**
 * The people of a rollout form: a CSV whose header names an `email` column
 * (as the product's CSV import takes it), or emails separated by commas,
 * spaces or lines. Anything else is named, so a typo is never dropped silently.
 */
export function emailsOf(text: string): { emails: string[]; problem?: string } {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  let tokens: string[];
  const header =
    lines[0]
      ?.toLowerCase()
      .split(/[,;\t]/)
      .map((h) => h.trim().replace(/^"|"$/g, '')) ?? [];
  const column = header.findIndex((h) => h === 'email' || h === 'email address' || h === 'e-mail');
  if (column >= 0) tokens = lines.slice(1).map((line) => (line.split(/[,;\t]/)[column] ?? '').trim().replace(/^"|"$/g, ''));
  else tokens = text.split(/[\s,;]+/).map((t) => t.replace(/^"|"$/g, ''));
  tokens = tokens.filter(Boolean);
  const bad = tokens.filter((t) => !EMAIL.test(t) || t.length > 320);
  if (bad.length) return { emails: [], problem: `Not an email address: ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}.` };
  const emails = [...new Set(tokens.map((t) => t.toLowerCase()))];
  if (emails.length > MAX_PEOPLE)
    return { emails: [], problem: `At most ${MAX_PEOPLE.toLocaleString('en')} people at a time (${emails.length.toLocaleString('en')} given).` };
  return { emails };
}

const choice = <T extends string>(values: readonly T[], message: string) => z.union([z.literal(''), z.enum(values as [T, ...T[]])], message).default('');

export const rolloutFields = z
  .object({
    csrf: z.string().optional(),
    action: z.enum(['preview', 'apply'], 'Preview or apply.').default('preview'),
    policy: z.string().min(1, 'Choose a policy.').max(64),
    people: z.string().max(1_000_000).default(''),
    /** One person found by the search box, added to the list. */
    find: z.string().max(320).default(''),
    sso: choice(['enforced', 'optional', 'disabled'], 'Enforced, optional, disabled, or unchanged.'),
    twoStep: choice(['optional', 'mandatory', 'idp'], 'Optional, mandatory, left to the IdP, or unchanged.'),
    idleSession: z.string().max(32).default(''),
    billable: choice(['true', 'false'], 'Yes, no, or unchanged.'),
    confirm: z.literal('yes', 'Tick this box to confirm: the change takes effect at each person’s next login.').optional(),
  })
  .strict();
export type RolloutFields = z.output<typeof rolloutFields>;

/** What core's preview and rollout take. */
export interface RolloutChange {
  addMembers?: string[];
  settings?: { sso?: string; twoStep?: string; idleMinutes?: number; billable?: boolean };
}

/** The form checked: the change for core, or a message per field. */
export function checkRollout(input: unknown): { fields: Partial<RolloutFields>; change?: RolloutChange; errors: Record<string, string> } {
  const checked: Checked<RolloutFields> = checkForm(rolloutFields, input);
  const fields = (checked.ok ? checked.value : (input ?? {})) as Partial<RolloutFields>;
  const errors = checked.ok ? {} : { ...checked.errors };
  const listed = [fields.people, fields.find].filter((t): t is string => typeof t === 'string' && t.trim() !== '').join('\n');
  const { emails, problem } = emailsOf(listed);
  // The person found joins the list: the preview's apply form carries the whole list on.
  fields.people = listed;
  fields.find = '';
  if (problem) errors.people = problem;
  let idleMinutes: number | undefined;
  if (typeof fields.idleSession === 'string' && fields.idleSession.trim()) {
    const ms = parseDuration(fields.idleSession);
    if (ms === undefined || ms < 60_000) errors.idleSession = 'A duration such as 30m, 8h or 30d.';
    else idleMinutes = Math.round(ms / 60_000);
  }
  const settings = {
    ...(fields.sso ? { sso: fields.sso } : {}),
    ...(fields.twoStep ? { twoStep: fields.twoStep } : {}),
    ...(idleMinutes !== undefined ? { idleMinutes } : {}),
    ...(fields.billable ? { billable: fields.billable === 'true' } : {}),
  };
  if (!Object.keys(errors).length && !emails.length && !Object.keys(settings).length)
    errors.people = 'Add people to the policy, or change one of its settings.';
  if (Object.keys(errors).length) return { fields, errors };
  return { fields, errors, change: { ...(emails.length ? { addMembers: emails } : {}), ...(Object.keys(settings).length ? { settings } : {}) } };
}
