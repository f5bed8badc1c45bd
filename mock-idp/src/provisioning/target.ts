import { z } from 'zod';
import { parseDuration } from '@rehearsal/core/runtime';
import { compileMappings, mappingInput, type Mapping } from './mapping.ts';
import { PROFILE_NAMES, PROFILES, type Profile, type ProfileName } from './profiles.ts';
import type { ScimValue } from './scim-path.ts';

const duration = z.string().refine((v) => parseDuration(v) !== undefined, { message: 'not a duration (for example 1s or 500ms)' });

export const targetInput = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes').optional(),
    name: z.string().trim().min(1).max(128).optional(),
    /** The SCIM base URL, for example http://localhost:9000/scim/directory/<id>. */
    baseUrl: z.url({ protocol: /^https?$/ }),
    token: z.string().min(1).max(4096),
    profile: z.enum(PROFILE_NAMES).default('entra'),
    /** `all`: every user and group; `assigned`: the assigned users and groups and the members of assigned groups. */
    scope: z.enum(['all', 'assigned']).default('all'),
    assignments: z.object({ users: z.array(z.string().min(1)).default([]), groups: z.array(z.string().min(1)).default([]) }).strict().default({ users: [], groups: [] }),
    /** Replace the profile's mapping for the same target path, or add one. */
    mappings: z.array(mappingInput).default([]),
    /** Requests in flight at once, as the vendors parallelise. */
    concurrency: z.number().int().min(1).max(32).default(4),
    retry: z.object({ attempts: z.number().int().min(0).max(10).default(4), delay: duration.default('1s') }).strict().default({ attempts: 4, delay: '1s' }),
  })
  .strict();
export type TargetInput = z.input<typeof targetInput>;
export type TargetConfig = z.output<typeof targetInput> & { id: string };

/** What the IdP last sent for a user: the basis of incremental cycles and of overwrite detection. */
export interface UserRecord {
  targetId: string;
  values: Record<string, ScimValue>;
  deprovisioned: boolean;
}

export interface GroupRecord {
  targetId: string;
  displayName: string;
  /** IdP user ids the target has as members, as far as the IdP sent them. */
  members: Set<string>;
}

export interface Quarantine {
  reason: string;
  since: string;
}

/** A configured target and everything the IdP remembers about it. */
export class ProvisioningTarget {
  readonly profile: Profile;
  readonly mappings: Mapping[];
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  /** Directory revision the last complete cycle saw; undefined before the first. */
  watermark: number | undefined;
  /** Bumped by configuration changes (scope, assignments, mappings): the next incremental cycle looks at everyone. */
  configChanged = true;
  quarantine: Quarantine | undefined;
  running: string | undefined;
  /** Read-only user attributes from the target's /Schemas, once read (see the engine). */
  readOnlyPaths: Set<string> | undefined;

  constructor(public config: TargetConfig) {
    this.profile = PROFILES[config.profile as ProfileName];
    this.mappings = compileMappings(this.profile.mappings, config.mappings);
  }

  get retryDelayMs(): number {
    return parseDuration(this.config.retry.delay)!;
  }

  /** The configuration as shown: the token stays secret. */
  view() {
    return {
      ...this.config,
      token: '[redacted]',
      mappings: this.mappings.map((m) => ({ target: m.target.text, source: m.sourceText, apply: m.apply, matching: m.matching })),
      quarantine: this.quarantine ?? null,
      watermark: this.watermark ?? null,
      provisioned: { users: this.users.size, groups: this.groups.size },
      running: this.running ?? null,
    };
  }
}
