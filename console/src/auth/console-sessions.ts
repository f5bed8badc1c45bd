import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '@rehearsal/runtime';

export interface ConsoleSession {
  id: string;
  /** Every form of this session carries it; a POST without it changes nothing. */
  csrf: string;
  expiresAt: number;
}

/** A signed-in browser stays signed in for 8 idle hours: a rehearsal is a working day. */
const IDLE_MS = 8 * 60 * 60_000;
/** A one-time sign-in link works for 15 minutes, once. */
export const LINK_TTL_MS = 15 * 60_000;
/** Bounds for a long-running console: the oldest go first. */
const MAX_SESSIONS = 1000;
const MAX_LINKS = 100;

const token = () => randomBytes(32).toString('base64url');
/** Link tokens are kept hashed: a memory dump does not sign anyone in. */
const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The console's signed-in browsers and its unused one-time sign-in links, in memory. */
export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly links = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  start(): ConsoleSession {
    const session = { id: token(), csrf: token(), expiresAt: this.now() + IDLE_MS };
    this.sessions.set(session.id, session);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  /** The live session of a cookie value, its idle limit renewed; undefined when unknown or expired. */
  get(id: string | undefined): ConsoleSession | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(session.id);
      return undefined;
    }
    session.expiresAt = this.now() + IDLE_MS;
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** A new one-time sign-in link token. */
  newLink(): { token: string; expiresAt: Date } {
    const value = token();
    const expiresAt = this.now() + LINK_TTL_MS;
    this.links.set(digest(value), expiresAt);
    if (this.links.size > MAX_LINKS) this.links.delete(this.links.keys().next().value!);
    return { token: value, expiresAt: new Date(expiresAt) };
  }

  /** Uses a link token up: true once, while it is fresh. */
  redeem(value: string): boolean {
    const key = digest(value);
    const expiresAt = this.links.get(key);
    this.links.delete(key);
    return expiresAt !== undefined && expiresAt > this.now();
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
