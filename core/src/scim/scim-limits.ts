import type { Clock } from '@rehearsal/runtime';
import type { Directory, ScimRateLimit } from '../directories/directory.ts';
import type { Store } from '../store/store.ts';
import { ScimError } from './scim-error.ts';

/** The product's limits: 150,000 users per directory, 35,000 users per group; `atlassian` fidelity enforces them. */
export interface ScimLimits {
  usersPerDirectory: number;
  membersPerGroup: number;
}
export const PRODUCT_SCIM_LIMITS: ScimLimits = { usersPerDirectory: 150_000, membersPerGroup: 35_000 };

/**
 * The rate `atlassian` fidelity answers with when the directory sets none: a
 * burst of 1,000 requests, refilled at 1,000 a minute. The vendor documents
 * that over-rate calls get 429, not its numbers: this is Rehearsal's choice,
 * configurable per directory.
 */
export const ATLASSIAN_DEFAULT_RATE: ScimRateLimit = { requests: 1000, perSeconds: 60 };

/** The rate a directory enforces: its own, the fidelity's default, or none. */
export function rateOf(dir: Directory): ScimRateLimit | null {
  if (dir.scimRateLimit === 'off') return null;
  return dir.scimRateLimit ?? (dir.scimFidelity === 'atlassian' ? ATLASSIAN_DEFAULT_RATE : null);
}

/** A directory's bucket: credit in integer units, when it was last counted, and the limit it was counted for. */
interface Bucket {
  credit: number;
  at: number;
  limit: string;
  /** Whether the request that last counted it fitted. */
  taken: boolean;
}

/**
 * Token buckets per directory on the injected clock: deterministic (a frozen
 * clock refills nothing, an advanced one refills exactly the time it moved),
 * so an IdP's retry logic can be rehearsed against core itself. An over-rate
 * request gets 429 with Retry-After, the seconds until a request fits. The
 * buckets live in the store: with several cores on one PostgreSQL, a
 * directory's rate is one rate, whichever core a request lands on.
 *
 * Credit is counted in integers (a request costs `perSeconds × 1000`, each
 * millisecond earns `requests`), so waiting exactly Retry-After always fits.
 */
export class ScimRateLimiter {
  constructor(
    private readonly clock: Clock,
    private readonly store: Pick<Store, 'updateCounter'>,
  ) {}

  async take(dir: Directory): Promise<void> {
    const rate = rateOf(dir);
    if (!rate) return;
    const now = this.clock.now().getTime();
    const cost = rate.perSeconds * 1000;
    const capacity = rate.requests * cost;
    const limit = `${rate.requests}/${rate.perSeconds}`;
    const bucket = await this.store.updateCounter<Bucket>(`scim-rate:${dir.id}`, (previous) => {
      // A new directory, a changed limit, or a clock set back: a full bucket.
      const start = !previous || previous.limit !== limit || now < previous.at ? { credit: capacity, at: now } : previous;
      // One whole period refills the bucket: capping the elapsed time keeps the product exact.
      const credit = Math.min(capacity, start.credit + Math.min(now - start.at, cost) * rate.requests);
      return credit >= cost ? { credit: credit - cost, at: now, limit, taken: true } : { credit, at: now, limit, taken: false };
    });
    if (bucket.taken) return;
    const retryAfter = Math.ceil(Math.ceil((cost - bucket.credit) / rate.requests) / 1000);
    throw new ScimError(
      429,
      undefined,
      `rate-limited: this directory takes ${rate.requests} requests per ${rate.perSeconds} s; try again in ${retryAfter} s.`,
      retryAfter,
    );
  }
}
