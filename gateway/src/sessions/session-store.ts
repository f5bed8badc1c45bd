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
  clear(): Promise<void>;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();

  async get(id: string) {
    const session = this.sessions.get(id);
    return session && { ...session };
  }
  async set(session: Session) {
    this.sessions.set(session.id, { ...session });
  }
  async destroy(id: string) {
    this.sessions.delete(id);
  }
  async destroyAccount(key: string) {
    let count = 0;
    const wanted = key.toLowerCase();
    for (const [id, s] of this.sessions) {
      if (s.accountId === key || s.email === wanted) {
        this.sessions.delete(id);
        count++;
      }
    }
    return count;
  }
  async clear() {
    this.sessions.clear();
  }
}
