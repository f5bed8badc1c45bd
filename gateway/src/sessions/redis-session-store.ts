import { deleteNamespace, luaScript, type Clock, type SharedState } from '@rehearsal/runtime';
import { ENDED_SESSION_GRACE_MS, expiryOf, matchesIdpLogout, type IdpSessionMatch, type Session, type SessionStore } from './session-store.ts';

type Redis = NonNullable<SharedState['redis']>;

// KEYS: the session, its account's index, its email's index. ARGV: the session's JSON, its id, the TTL (real ms).
// An index lives as long as the longest-lived session in it.
const SET = luaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[2])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return 1`);

/**
 * Sessions in Redis, shared by every gateway replica: a session started on one
 * is read, renewed and ended on any other. Limits are read on the injected clock
 * (as in memory); Redis's own TTL, the session's end plus the grace period in
 * which a returning person is told why it ended, only bounds memory. Sets by
 * account and by email find the sessions to end when an account is deactivated
 * or an IdP logs someone out.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<Session | undefined> {
    const json = await this.redis.get(this.key(id));
    return json === null ? undefined : (JSON.parse(json) as Session);
  }

  async set(session: Session): Promise<void> {
    const ttl = Math.max(1, expiryOf(session) + ENDED_SESSION_GRACE_MS - this.clock.now().getTime());
    const keys = [this.key(session.id), this.index('email', session.email), ...(session.accountId ? [this.index('account', session.accountId)] : [])];
    await SET(this.redis, keys, [JSON.stringify(session), session.id, Math.min(ttl, 2 ** 31)]);
  }

  async destroy(id: string): Promise<void> {
    const session = await this.get(id);
    if (session) await this.remove([session]);
  }

  async destroyAccount(key: string): Promise<number> {
    const ids = await this.redis.sunion(this.index('account', key), this.index('email', key.toLowerCase()));
    const sessions = await this.load(ids);
    const ending = sessions.filter((s) => s.accountId === key || s.email === key.toLowerCase());
    await this.remove(ending);
    return ending.length;
  }

  async destroyIdpSessions(match: IdpSessionMatch): Promise<number> {
    const sessions = await this.load(await this.redis.smembers(this.index('email', match.email.toLowerCase())));
    const ending = sessions.filter((s) => matchesIdpLogout(s, match));
    await this.remove(ending);
    return ending.length;
  }

  clear(): Promise<void> {
    return deleteNamespace(this.redis, this.prefix);
  }

  private key(id: string) {
    return `${this.prefix}s:${id}`;
  }

  private index(kind: 'account' | 'email', value: string) {
    return `${this.prefix}${kind}:${value}`;
  }

  private async load(ids: string[]): Promise<Session[]> {
    if (!ids.length) return [];
    const values = await this.redis.mget(ids.map((id) => this.key(id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Session);
  }

  private async remove(sessions: Session[]): Promise<void> {
    if (!sessions.length) return;
    const batch = this.redis.multi();
    for (const s of sessions) {
      batch.del(this.key(s.id));
      batch.srem(this.index('email', s.email), s.id);
      if (s.accountId) batch.srem(this.index('account', s.accountId), s.id);
    }
    await batch.exec();
  }
}
