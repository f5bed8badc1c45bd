import { randomBytes } from 'node:crypto';
import type { Clock, ExpiringStore, SharedState } from '@rehearsal/runtime';
import type { LoginDecision } from '@rehearsal/core/client';

/** A first factor passed, a step to go: it opens nothing but that step. */
export interface PendingLogin {
  id: string;
  email: string;
  step: 'password-change' | 'two-step' | 'two-step-enrolment';
  decision: LoginDecision;
  relayState: string;
  /** The secret being enrolled, shown to the user, stored in core once a code confirms it. */
  secret?: string;
  expiresAt: number;
}

/** How long the second step may take. */
export const PENDING_TTL_MS = 10 * 60_000;

/** Bounds memory under a flood of first factors (in memory; Redis bounds by TTL). */
const MAX_PENDING = 100_000;

/** Logins between their first factor and their last step, in the shared state: the next step may reach any replica. */
export class PendingLogins {
  private readonly pending: ExpiringStore<PendingLogin>;

  private readonly clock: Clock;

  constructor(state: SharedState) {
    this.pending = state.store('pending-logins', MAX_PENDING);
    this.clock = state.clock;
  }

  async start(fields: Omit<PendingLogin, 'id' | 'expiresAt'>): Promise<PendingLogin> {
    const login: PendingLogin = { ...fields, id: randomBytes(32).toString('base64url'), expiresAt: this.clock.now().getTime() + PENDING_TTL_MS };
    await this.pending.set(login.id, login, login.expiresAt);
    return login;
  }

  async get(id: string | undefined): Promise<PendingLogin | undefined> {
    return id ? this.pending.get(id) : undefined;
  }

  async end(id: string): Promise<void> {
    await this.pending.delete(id);
  }

  clear(): Promise<void> {
    return this.pending.clear();
  }
}
