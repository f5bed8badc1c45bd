import type { Clock } from '@rehearsal/runtime';
import type { Directory, ScimRateLimit } from '../directories/directory.ts';
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

/**
 * Token buckets per directory on the injected clock: deterministic (a frozen
 * clock refills nothing, an advanced one refills exactly the time it moved),
 * so an IdP's retry logic can be rehearsed against core itself. An over-rate
 * request gets 429 with Retry-After, the seconds until a request fits.
 *
 * Credit is counted in integers (a request costs `perSeconds × 1000`, each
 * millisecond earns `requests`), so waiting exactly Retry-After always fits.
 */
export class ScimRateLimiter {
  private readonly buckets = new Map<string, { credit: number; at: number; limit: string }>();

  constructor(private readonly clock: Clock) {}

  take(dir: Directory): void {
    const rate = rateOf(dir);
    if (!rate) return;
    const now = this.clock.now().getTime();
    const cost = rate.perSeconds * 1000;
    const capacity = rate.requests * cost;
    const limit = `${rate.requests}/${rate.perSeconds}`;
    let bucket = this.buckets.get(dir.id);
    // A new directory, a changed limit, or a clock set back: a full bucket.
    if (!bucket || bucket.limit !== limit || now < bucket.at) bucket = { credit: capacity, at: now, limit };
    // One whole period refills the bucket: capping the elapsed time keeps the product exact.
    bucket.credit = Math.min(capacity, bucket.credit + Math.min(now - bucket.at, cost) * rate.requests);
    bucket.at = now;
    this.buckets.set(dir.id, bucket);
    if (bucket.credit >= cost) {
      bucket.credit -= cost;
      return;
    }
    const retryAfter = Math.ceil(Math.ceil((cost - bucket.credit) / rate.requests) / 1000);
    throw new ScimError(
      429,
      undefined,
      `rate-limited: this directory takes ${rate.requests} requests per ${rate.perSeconds} s; try again in ${retryAfter} s.`,
      retryAfter,
    );
  }
}
