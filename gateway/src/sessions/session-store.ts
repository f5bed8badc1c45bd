import { systemClock, type Clock } from '@rehearsal/runtime';

/** A signed-in browser, as the server keeps it. */
export interface Session {
  id: string;
  email: string;
  accountId: string | null;
  method: 'sso' | 'password';
  connectionId?: string;
  /** The IdP's SessionIndex and NameID, for single logout. */
  sessionIndex?: string;
  createdAt: number;
  lastSeenAt: number;
  /** Limits taken from the policy at login; later policy changes apply at the next login. */
  idleMs: number;
  absoluteMs: number | null;
}

/** When a session ends by itself: idle limit from the last activity, or the absolute limit, whichever comes first. */
export const expiryOf = (s: Session) => Math.min(s.lastSeenAt + s.idleMs, s.absoluteMs === null ? Infinity : s.createdAt + s.absoluteMs);

/**
 * Where sessions live: in memory by default; a Redis implementation can follow
 * without touching the rest, which is why every method is async.
 */
export interface SessionStore {
  get(id: string): Promise<Session | undefined>;
  set(session: Session): Promise<void>;
  destroy(id: string): Promise<void>;
  /** Ends every session of an account; returns how many. */
  destroyAccount(accountIdOrEmail: string): Promise<number>;
  /** Ends the SSO sessions an IdP's LogoutRequest names (its connection, the NameID, and its SessionIndexes if it gives any); returns how many. */
  destroyIdpSessions(match: IdpSessionMatch): Promise<number>;
  clear(): Promise<void>;
}

export interface IdpSessionMatch {
  connectionId: string;
  /** The NameID: the email the session was started for (case-insensitive). */
  email: string;
  /** When the LogoutRequest lists SessionIndexes, only those sessions; otherwise every session of that person through that connection. */
  sessionIndexes: string[];
}

/** Whether a session is one an IdP's LogoutRequest ends. */
export const matchesIdpLogout = (s: Session, match: IdpSessionMatch): boolean =>
  s.method === 'sso' &&
  s.connectionId === match.connectionId &&
  s.email === match.email.toLowerCase() &&
  (match.sessionIndexes.length === 0 || (s.sessionIndex !== undefined && match.sessionIndexes.includes(s.sessionIndex)));

/** How often (on the clock) the store looks for sessions that ended by themselves. */
export const SWEEP_INTERVAL_MS = 60_000;
/**
 * How long an ended session is kept before it is swept: a person coming back
 * within it is told why (idle-timeout, session-expired) rather than only that
 * the session is unknown.
 */
export const ENDED_SESSION_GRACE_MS = 24 * 60 * 60_000;

/**
 * Sessions in this process's memory. Those that ended by themselves (idle or
 * past their absolute limit) are swept on the injected clock a day after they
 * ended, at most once a minute of clock time and only when the store is used,
 * so memory follows the live sessions and not every login ever made.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private lastSweep: number | undefined;

  constructor(private readonly clock: Clock = systemClock) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): Promise<Session | undefined> {
    this.sweep();
    const session = this.sessions.get(id);
    return Promise.resolve(session && { ...session });
  }
  set(session: Session): Promise<void> {
    this.sweep();
    this.sessions.set(session.id, { ...session });
    return Promise.resolve();
  }

  /** Drops every session that ended by itself more than the grace period ago; returns how many. */
  sweep(force = false): number {
    const now = this.clock.now().getTime();
    // A clock set back (the harness) sweeps at once too.
    if (!force && this.lastSweep !== undefined && now >= this.lastSweep && now < this.lastSweep + SWEEP_INTERVAL_MS) return 0;
    this.lastSweep = now;
    let dropped = 0;
    for (const [id, session] of this.sessions) {
      if (expiryOf(session) + ENDED_SESSION_GRACE_MS <= now) {
        this.sessions.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
  destroy(id: string): Promise<void> {
    this.sessions.delete(id);
    return Promise.resolve();
  }
  destroyAccount(key: string): Promise<number> {
    let count = 0;
    const wanted = key.toLowerCase();
    for (const [id, s] of this.sessions) {
      if (s.accountId === key || s.email === wanted) {
        this.sessions.delete(id);
        count++;
      }
    }
    return Promise.resolve(count);
  }
  destroyIdpSessions(match: IdpSessionMatch): Promise<number> {
    let count = 0;
    for (const [id, s] of this.sessions) {
      if (matchesIdpLogout(s, match)) {
        this.sessions.delete(id);
        count++;
      }
    }
    return Promise.resolve(count);
  }
  clear(): Promise<void> {
    this.sessions.clear();
    return Promise.resolve();
  }
}
