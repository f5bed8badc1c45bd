import { PROFILE_FIELDS, type ProfileField } from './account.ts';

/** Who last wrote a profile field: what a provisioning plan shows beside a value the IdP would overwrite. */
export type ProfileSource = 'signup' | 'invite' | 'admin' | 'scim' | 'saml-login';

export interface FieldSource {
  source: ProfileSource;
  at: string;
}

/** The profile fields whose writer is kept (the email too: SCIM and admins change it). */
export type SourcedField = ProfileField | 'email';
export const SOURCED_FIELDS: readonly SourcedField[] = ['email', ...PROFILE_FIELDS];

export type ProfileSources = Partial<Record<SourcedField, FieldSource>>;

/**
 * The sources after a write: `source` for every field the write changed,
 * what was known before for the rest.
 */
export function recordSources(
  before: ProfileSources,
  current: Partial<Record<SourcedField, unknown>> | undefined,
  written: Partial<Record<SourcedField, unknown>>,
  source: ProfileSource,
  at: string,
): ProfileSources {
  const next: ProfileSources = { ...before };
  for (const field of SOURCED_FIELDS) {
    if (!(field in written) || written[field] === undefined) continue;
    // At creation (nothing before), an empty field was not written by anyone.
    if (current === undefined ? written[field] === null : (current[field] ?? null) === (written[field] ?? null)) continue;
    next[field] = { source, at };
  }
  return next;
}
