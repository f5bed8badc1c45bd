import { randomBytes } from 'node:crypto';
import type { Clock } from '@rehearsal/runtime';
import type { LoginDecision } from '@rehearsal/core/client';
import { ExpiringMap } from '../expiring-map.ts';

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

/** Bounds memory under a flood of first factors. */
const MAX_PENDING = 100_000;

export class PendingLogins {
  private readonly pending: ExpiringMap<PendingLogin>;

  constructor(private readonly clock: Clock) {
    this.pending = new ExpiringMap(clock, MAX_PENDING);
  }

  start(fields: Omit<PendingLogin, 'id' | 'expiresAt'>): PendingLogin {
    const login: PendingLogin = { ...fields, id: randomBytes(32).toString('base64url'), expiresAt: this.clock.now().getTime() + PENDING_TTL_MS };
    this.pending.set(login.id, login, login.expiresAt);
    return login;
  }

  get(id: string | undefined): PendingLogin | undefined {
    return id ? this.pending.get(id) : undefined;
  }

  end(id: string): void {
    this.pending.delete(id);
  }

  clear(): void {
    this.pending.clear();
  }
}
