import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@rehearsal/runtime';
import { GATEWAY_REASONS } from '../reasons.ts';
import type { IdpSessionMatch, Session, SessionStore } from './session-store.ts';

export const SESSION_COOKIE = 'rehearsal_gw_session';

/** Why someone is (back) at the login page, as it tells them; also the message of a 401 from the product API. */
export const REASON_NOTICES: Record<string, string> = {
  ...Object.fromEntries(
    (['idle-timeout', 'session-expired', 'session-unknown', 'login-required'] as const).map((code) => [code, GATEWAY_REASONS.table[code].sentence]),
  ),
  'logged-out': 'You are logged out.',
};

export type SessionState = { session: Session } | { session?: undefined; reason?: 'idle-timeout' | 'session-expired' | 'session-unknown' };

/**
 * Server-side sessions behind a signed cookie. A new id at every
 * authentication step (no fixation); idle and absolute limits checked against
 * activity the server saw, on the injected clock.
 */
export class Sessions {
  constructor(
    private readonly store: SessionStore,
    private readonly secret: Buffer,
    private readonly clock: Clock,
  ) {}

  sign(id: string): string {
    return `${id}.${createHmac('sha256', this.secret).update(id).digest('base64url')}`;
  }

  /** The CSRF token of a session's forms: derived from its id, so nothing more is stored. */
  csrfToken(id: string): string {
    return createHmac('sha256', this.secret).update(`csrf:${id}`).digest('base64url');
  }

  /** The session id in a cookie value, when its signature holds. */
  unsign(value: string | undefined): string | undefined {
    if (!value) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const id = value.slice(0, dot);
    const expected = Buffer.from(this.sign(id));
    const given = Buffer.from(value);
    return expected.length === given.length && timingSafeEqual(expected, given) ? id : undefined;
  }

  /** Starts a session; the old one (if any) is destroyed, so an id known before login is worth nothing after. */
  async start(previousId: string | undefined, fields: Omit<Session, 'id' | 'createdAt' | 'lastSeenAt'>): Promise<Session> {
    if (previousId) await this.store.destroy(previousId);
    const now = this.clock.now().getTime();
    const session: Session = { ...fields, id: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    await this.store.set(session);
    return session;
  }

  /** The live session for a cookie, recording this request as activity; or why there is none. */
  async resume(cookieValue: string | undefined): Promise<SessionState> {
    const id = this.unsign(cookieValue);
    if (!id) return cookieValue ? { reason: 'session-unknown' } : {};
    const session = await this.store.get(id);
    if (!session) return { reason: 'session-unknown' };
    const now = this.clock.now().getTime();
    if (session.absoluteMs !== null && now >= session.createdAt + session.absoluteMs) {
      await this.store.destroy(id);
      return { reason: 'session-expired' };
    }
    if (now >= session.lastSeenAt + session.idleMs) {
      await this.store.destroy(id);
      return { reason: 'idle-timeout' };
    }
    session.lastSeenAt = now;
    await this.store.set(session);
    return { session };
  }

  end(id: string): Promise<void> {
    return this.store.destroy(id);
  }

  /** Ends the SSO sessions an IdP's verified LogoutRequest names; returns how many. */
  endIdpSessions(match: IdpSessionMatch): Promise<number> {
    return this.store.destroyIdpSessions(match);
  }

  revoke(accountIdOrEmail: string): Promise<number> {
    return this.store.destroyAccount(accountIdOrEmail);
  }
}
