import { z } from 'zod';
import { parseDuration } from '@rehearsal/runtime';
import { compileMappings, mappingInput, type Mapping } from './mapping.ts';
import { DEPROVISION_MODES, PROFILE_NAMES, PROFILES, type DeprovisionMode, type Profile } from './profiles.ts';
import type { ScimValue } from './scim-path.ts';
import { MemoryState, type StatePort } from '../state/state-file.ts';
import { SavedMap } from '../state/saved-map.ts';

const duration = z.string().refine((v) => parseDuration(v) !== undefined, { message: 'not a duration (for example 1s or 500ms)' });

export const targetInput = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes')
      .optional(),
    name: z.string().trim().min(1).max(128).optional(),
    /** The SCIM base URL, for example http://localhost:9000/scim/directory/<id>. */
    baseUrl: z.url({ protocol: /^https?$/ }),
    token: z.string().min(1).max(4096),
    profile: z.enum(PROFILE_NAMES).default('entra'),
    /** `all`: every user and group; `assigned`: the assigned users and groups and the members of assigned groups. */
    scope: z.enum(['all', 'assigned']).default('all'),
    assignments: z
      .object({ users: z.array(z.string().min(1)).default([]), groups: z.array(z.string().min(1)).default([]) })
      .strict()
      .default({ users: [], groups: [] }),
    /** Replace the profile's mapping for the same target path, or add one. */
    mappings: z.array(mappingInput).default([]),
    /** Requests in flight at once, as the vendors parallelise. */
    concurrency: z.number().int().min(1).max(32).default(4),
    retry: z
      .object({ attempts: z.number().int().min(0).max(10).default(4), delay: duration.default('1s') })
      .strict()
      .default({ attempts: 4, delay: '1s' }),
    /** How users leave the target; the profile's way when absent (entra: disable-then-delete, okta: disable). */
    deprovision: z.enum(DEPROVISION_MODES).optional(),
    /** How long a user deleted at the IdP stays soft-deleted before `disable-then-delete` sends DELETE. */
    softDeletePeriod: duration.default('30d'),
  })
  .strict();
export type TargetInput = z.input<typeof targetInput>;
export type TargetConfig = z.output<typeof targetInput> & { id: string };

/** What the IdP last sent for a user: the basis of incremental cycles and of overwrite detection. */
export interface UserRecord {
  targetId: string;
  values: Record<string, ScimValue>;
  deprovisioned: boolean;
  /** A soft-deleted user: when its DELETE is due (ISO), on the IdP's clock. */
  deleteAfter?: string;
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

/** What is saved of a target besides its user and group records. */
interface SavedTarget {
  config: TargetConfig;
  watermark: number | null;
  configChanged: boolean;
  quarantine: Quarantine | null;
}

const TARGET_KEY = 'target:';
const userKey = (target: string) => `target-user:${target}:`;
const groupKey = (target: string) => `target-group:${target}:`;

/**
 * A configured target and everything the IdP remembers about it: what it last
 * sent each user and group, the directory revision of its last complete cycle,
 * and a quarantine. Each change is written to the state port as it happens,
 * so a restarted IdP carries on where it stopped.
 */
export class ProvisioningTarget {
  readonly profile: Profile;
  readonly mappings: Mapping[];
  readonly users: SavedMap<UserRecord>;
  readonly groups: SavedMap<GroupRecord>;
  private saved: SavedTarget;
  running: string | undefined;
  /** Read-only user attributes from the target's /Schemas, once read (see the engine). */
  readOnlyPaths: Set<string> | undefined;

  constructor(
    public readonly config: TargetConfig,
    private readonly state: StatePort = new MemoryState(),
  ) {
    this.profile = PROFILES[config.profile];
    this.mappings = compileMappings(this.profile.mappings, config.mappings);
    this.users = new SavedMap<UserRecord>(state, userKey(config.id), (record) => record);
    this.groups = new SavedMap<GroupRecord>(
      state,
      groupKey(config.id),
      (record) => ({ ...record, members: [...record.members] }),
      (saved) => {
        const group = saved as Omit<GroupRecord, 'members'> & { members: string[] };
        return { ...group, members: new Set(group.members) };
      },
    );
    this.saved = { config, watermark: null, configChanged: true, quarantine: null };
  }

  /** Starts keeping this target in the state port. */
  save(): void {
    this.state.put(TARGET_KEY + this.config.id, this.saved);
  }

  /** Forgets the target and its records in the state port. */
  forget(): void {
    this.users.clear();
    this.groups.clear();
    this.state.remove(TARGET_KEY + this.config.id);
  }

  /** The targets the state port holds, with their records. */
  static restore(state: StatePort): ProvisioningTarget[] {
    return state.entries(TARGET_KEY).map(([, value]) => {
      const saved = value as SavedTarget;
      const restored = new ProvisioningTarget(saved.config, state);
      restored.saved = saved;
      restored.users.restore();
      restored.groups.restore();
      return restored;
    });
  }

  /** Directory revision the last complete cycle saw; undefined before the first. */
  get watermark(): number | undefined {
    return this.saved.watermark ?? undefined;
  }
  set watermark(value: number | undefined) {
    this.update({ watermark: value ?? null });
  }

  /** Bumped by configuration changes (scope, assignments, mappings): the next incremental cycle looks at everyone. */
  get configChanged(): boolean {
    return this.saved.configChanged;
  }
  set configChanged(value: boolean) {
    this.update({ configChanged: value });
  }

  get quarantine(): Quarantine | undefined {
    return this.saved.quarantine ?? undefined;
  }
  set quarantine(value: Quarantine | undefined) {
    this.update({ quarantine: value ?? null });
  }

  private update(change: Partial<SavedTarget>): void {
    this.saved = { ...this.saved, ...change };
    this.save();
  }

  get retryDelayMs(): number {
    return parseDuration(this.config.retry.delay)!;
  }

  get deprovision(): DeprovisionMode {
    return this.config.deprovision ?? this.profile.deprovision;
  }

  get softDeletePeriodMs(): number {
    return parseDuration(this.config.softDeletePeriod)!;
  }

  /** The configuration as shown: the token stays secret. */
  view() {
    return {
      ...this.config,
      token: '[redacted]',
      deprovision: this.deprovision,
      mappings: this.mappings.map((m) => ({ target: m.target.text, source: m.sourceText, apply: m.apply, matching: m.matching })),
      quarantine: this.quarantine ?? null,
      watermark: this.watermark ?? null,
      provisioned: { users: this.users.size, groups: this.groups.size },
      running: this.running ?? null,
    };
  }
}
