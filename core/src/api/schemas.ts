import { z } from 'zod';
import { canonicalLanguageTag, canonicalTimeZone, normalizeEmail } from '../accounts/account.ts';
import { plainText } from '@rehearsal/runtime';

/** Input pieces shared by several routes. */
export const email = z.email({ error: 'expected an email address' }).max(254).transform(normalizeEmail);

const canonical = (convert: (v: string) => string | undefined, expected: string) =>
  z.string().transform((value, ctx) => {
    const result = convert(value);
    if (result === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}`, input: value });
      return z.NEVER;
    }
    return result;
  });

export const timezone = canonical(canonicalTimeZone, 'an IANA time zone such as Europe/Berlin');
export const language = canonical(canonicalLanguageTag, 'a BCP 47 language tag such as en-US');

const text = plainText;

/** Profile fields of an account, all optional; null clears. */
export const profileFields = {
  displayName: text().optional(),
  publicName: text().nullable().optional(),
  jobTitle: text().nullable().optional(),
  department: text().nullable().optional(),
  organization: text().nullable().optional(),
  timezone: timezone.nullable().optional(),
  preferredLanguage: language.nullable().optional(),
};

const count = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().max(max, `at most ${max}`))
    .optional()
    .transform((v) => v ?? fallback);

export const pageQuery = z.strictObject({ limit: count(1000, 100), offset: count(Number.MAX_SAFE_INTEGER, 0) });
export const emailList = (max: number) => z.array(email).min(1).max(max, `at most ${max} emails at a time`);
