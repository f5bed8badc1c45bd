import type { Clock } from '@rehearsal/runtime';
import type { Directory } from '../directory/directory.ts';
import type { IdpUser } from '../directory/user.ts';
import { forbidden } from '../reasons.ts';
import { SavedMap } from '../state/saved-map.ts';
import type { StateChanges, StatePort } from '../state/state-file.ts';
import type { LogoutRequest } from './logout.ts';
import { randomBytesFromPool, samlId } from './random-ids.ts';

export interface SentNameId {
  value: string;
  format: string;
  spNameQualifier?: string;
}

export interface IdpSession {
  id: string;
  userId: string;
  authnInstant: Date;
  sessionIndex: string;
  mfa: boolean;
  expiresAt: number;
  /** The SPs this session logged in to, with the NameID each was sent (a LogoutRequest to them names it again). */
  participants: Map<string, SentNameId | undefined>;
}

/** How long an IdP session lets the next login be silent. */
export const IDP_SESSION_TTL_MS = 12 * 60 * 60_000;

/**
 * The IdP's sessions: a browser's, kept so that its next login (to any SP) is
 * silent, and one-shot ones for headless logins. A session ends when it
 * expires, when its user is deactivated, or at single logout.
 */
export class IdpSessions {
  private readonly sessions: Map<string, IdpSession>;

  /** With a shared state, the sessions are kept there too: any replica continues them. */
  constructor(
    private readonly clock: Clock,
    private readonly directory: Directory,
    shared?: StatePort,
  ) {
    this.sessions = shared ? new SavedMap(shared, 'sso:session:', encodeSession, decodeSession).restore() : new Map<string, IdpSession>();
  }

  /** Takes up the sessions another replica started, changed or ended. */
  refresh(changes: StateChanges): void {
    if (this.sessions instanceof SavedMap) this.sessions.refresh(changes);
  }

  /** Saves a kept session again after a change (a participant added). */
  keep(session: IdpSession): void {
    if (this.sessions.has(session.id)) this.sessions.set(session.id, session);
  }

  /** The live session with this id, if any. */
  get(id: string | undefined): IdpSession | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (session.expiresAt <= this.clock.now().getTime()) {
      this.sessions.delete(session.id);
      return undefined;
    }
    return this.directory.findUser(session.userId)?.active ? session : undefined;
  }

  /** A browser's IdP session, kept so that its next login is silent. */
  start(user: IdpUser, mfa: boolean): IdpSession {
    const session = this.oneShot(user, mfa);
    dropExpired(this.sessions, session.authnInstant.getTime());
    this.sessions.set(session.id, session);
    return session;
  }

  /** A session for one headless login: not kept, since no browser will come back with it. */
  oneShot(user: IdpUser, mfa: boolean): IdpSession {
    if (!user.active) throw forbidden('user-inactive', `${user.email} is deactivated in the IdP directory.`);
    const now = this.clock.now();
    return {
      id: randomBytesFromPool(24).toString('base64url'),
      userId: user.id,
      authnInstant: now,
      sessionIndex: samlId(),
      mfa,
      expiresAt: now.getTime() + IDP_SESSION_TTL_MS,
      participants: new Map(),
    };
  }

  list(): IdpSession[] {
    return [...this.sessions.values()].filter((s) => this.get(s.id));
  }

  /**
   * Ends the sessions a LogoutRequest names (by SessionIndex, else by the NameID
   * the SP was sent) and the browser's own; returns those that ended.
   */
  endFor(request: Pick<LogoutRequest, 'sessionIndexes' | 'nameId'>, spEntityId: string, browserSessionId: string | undefined): IdpSession[] {
    return this.endWhere(
      (session) =>
        (request.sessionIndexes.length
          ? request.sessionIndexes.includes(session.sessionIndex)
          : session.participants.has(spEntityId) && session.participants.get(spEntityId)?.value === request.nameId) || session.id === browserSessionId,
    );
  }

  /** Ends the sessions that match; returns them (their participants are told in turn). */
  endWhere(match: (session: IdpSession) => boolean): IdpSession[] {
    const ended = [...this.sessions.values()].filter(match);
    for (const session of ended) this.sessions.delete(session.id);
    return ended;
  }

  clear(): void {
    this.sessions.clear();
  }
}

type SavedSession = Omit<IdpSession, 'authnInstant' | 'participants'> & { authnInstant: string; participants: [string, SentNameId | null][] };

const encodeSession = (session: IdpSession): SavedSession => ({
  ...session,
  authnInstant: session.authnInstant.toISOString(),
  participants: [...session.participants].map(([sp, nameId]) => [sp, nameId ?? null]),
});

const decodeSession = (saved: unknown): IdpSession => {
  const session = saved as SavedSession;
  return {
    ...session,
    authnInstant: new Date(session.authnInstant),
    participants: new Map(session.participants.map(([sp, nameId]) => [sp, nameId ?? undefined])),
  };
};

/**
 * Sessions and pending logins all live equally long and are added in time
 * order, so the expired ones are at the front: dropping stops at the first live
 * one, and memory follows what is live, not every login ever made.
 */
export function dropExpired(entries: Map<string, { expiresAt: number }>, now: number): void {
  for (const [id, entry] of entries) {
    if (entry.expiresAt > now) break;
    entries.delete(id);
  }
}
