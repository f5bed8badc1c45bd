import { randomBytes } from 'node:crypto';
import type { Clock } from '@rehearsal/core/runtime';
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

export class PendingLogins {
  private readonly pending = new Map<string, PendingLogin>();

  constructor(private readonly clock: Clock) {}

  start(fields: Omit<PendingLogin, 'id' | 'expiresAt'>): PendingLogin {
    const now = this.clock.now().getTime();
    for (const [id, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(id);
    const login: PendingLogin = { ...fields, id: randomBytes(32).toString('base64url'), expiresAt: now + PENDING_TTL_MS };
    this.pending.set(login.id, login);
    return login;
  }

  get(id: string | undefined): PendingLogin | undefined {
    const login = id ? this.pending.get(id) : undefined;
    if (!login || login.expiresAt <= this.clock.now().getTime()) return undefined;
    return login;
  }

  end(id: string): void {
    this.pending.delete(id);
  }

  clear(): void {
    this.pending.clear();
  }
}
