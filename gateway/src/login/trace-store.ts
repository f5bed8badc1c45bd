import { deleteNamespace, luaScript, type SharedState } from '@rehearsal/runtime';
import type { Redis } from 'ioredis';
import type { LoginTrace } from './login-traces.ts';

/** Logins kept: a long-running gateway must not grow without bound. */
export const TRACE_CAPACITY = 500;

/** What `GET /api/logins` asks for. */
export interface TraceQuery {
  after?: number | undefined;
  email?: string | undefined;
  outcome?: LoginTrace['outcome'] | undefined;
  limit: number;
}

/**
 * Where the recent logins are kept: in the gateway's memory, or in Redis, where
 * every replica writes the logins it sees, so that the console's trace shows
 * each one whole (begun on one replica, answered by the IdP to the other).
 */
export interface TraceStore {
  /** Saves the trace as it is now (a new one, or one more step) and gives it the next version. */
  put(trace: LoginTrace): Promise<void>;
  remove(trace: LoginTrace): Promise<void>;
  /** The pending login an AuthnRequest belongs to. */
  byRequest(requestId: string): Promise<LoginTrace | undefined>;
  /** The newest pending password login of an email (a later step of the password path). */
  pendingPassword(email: string): Promise<LoginTrace | undefined>;
  /** Oldest first, those changed after `after` (a version), filtered by email and outcome. */
  list(query: TraceQuery): Promise<{ logins: LoginTrace[]; version: number }>;
  clear(): Promise<void>;
}

const matches = (query: TraceQuery) => (t: LoginTrace) =>
  (!query.email || Boolean(t.email?.includes(query.email))) && (!query.outcome || t.outcome === query.outcome);

export class MemoryTraceStore implements TraceStore {
  private readonly traces = new Map<string, LoginTrace>();
  private readonly requests = new Map<string, string>();
  private version = 0;

  put(trace: LoginTrace): Promise<void> {
    trace.version = ++this.version;
    if (!this.traces.has(trace.id)) {
      this.traces.set(trace.id, trace);
      if (this.traces.size > TRACE_CAPACITY) void this.remove(this.traces.values().next().value!);
    }
    if (trace.requestId) {
      if (trace.outcome === 'pending') this.requests.set(trace.requestId, trace.id);
      else this.requests.delete(trace.requestId);
    }
    return Promise.resolve();
  }

  remove(trace: LoginTrace): Promise<void> {
    if (trace.requestId) this.requests.delete(trace.requestId);
    this.traces.delete(trace.id);
    return Promise.resolve();
  }

  byRequest(requestId: string): Promise<LoginTrace | undefined> {
    return Promise.resolve(this.traces.get(this.requests.get(requestId) ?? ''));
  }

  pendingPassword(email: string): Promise<LoginTrace | undefined> {
    return Promise.resolve([...this.traces.values()].reverse().find((t) => t.email === email && t.outcome === 'pending' && t.method === 'password'));
  }

  list(query: TraceQuery): Promise<{ logins: LoginTrace[]; version: number }> {
    const logins = [...this.traces.values()].filter((t) => (query.after === undefined || t.version > query.after) && matches(query)(t)).slice(-query.limit);
    return Promise.resolve({ logins, version: this.version });
  }

  clear(): Promise<void> {
    this.traces.clear();
    this.requests.clear();
    return Promise.resolve();
  }
}

/** How long an index entry (an AuthnRequest's or an email's pending login) outlives the login's last step. */
const INDEX_TTL_SECONDS = 24 * 60 * 60;

// KEYS: data (hash id -> JSON), started (zset id by first put), versions (zset id by last change), counter,
//       the AuthnRequest index key, the pending password index key (or '').
// ARGV: id, JSON, pending ('1' or ''), capacity, index TTL.
const PUT = luaScript(`
local version = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', version, ARGV[1])
redis.call('ZADD', KEYS[3], version, ARGV[1])
for i = 5, 6 do
  if KEYS[i] ~= '' then
    if ARGV[3] == '1' then redis.call('SET', KEYS[i], ARGV[1], 'EX', ARGV[5])
    elseif redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
  end
end
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREM', KEYS[2], unpack(old))
  redis.call('ZREM', KEYS[3], unpack(old))
  redis.call('HDEL', KEYS[1], unpack(old))
end
return version`);

export class RedisTraceStore implements TraceStore {
  private readonly keys: { data: string; started: string; versions: string; counter: string; request: string; password: string };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = {
      data: `${prefix}data`,
      started: `${prefix}started`,
      versions: `${prefix}versions`,
      counter: `${prefix}version`,
      request: `${prefix}request:`,
      password: `${prefix}password:`,
    };
  }

  async put(trace: LoginTrace): Promise<void> {
    const pendingPassword = trace.method === 'password' && trace.email ? this.keys.password + trace.email : '';
    const keys = [
      this.keys.data,
      this.keys.started,
      this.keys.versions,
      this.keys.counter,
      trace.requestId ? this.keys.request + trace.requestId : '',
      pendingPassword,
    ];
    const json = JSON.stringify(trace);
    trace.version = Number(await PUT(this.redis, keys, [trace.id, json, trace.outcome === 'pending' ? '1' : '', TRACE_CAPACITY, INDEX_TTL_SECONDS]));
  }

  async remove(trace: LoginTrace): Promise<void> {
    await this.redis.multi().hdel(this.keys.data, trace.id).zrem(this.keys.started, trace.id).zrem(this.keys.versions, trace.id).exec();
  }

  async byRequest(requestId: string): Promise<LoginTrace | undefined> {
    return this.read(await this.redis.get(this.keys.request + requestId));
  }

  async pendingPassword(email: string): Promise<LoginTrace | undefined> {
    const trace = await this.read(await this.redis.get(this.keys.password + email));
    return trace?.outcome === 'pending' ? trace : undefined;
  }

  async list(query: TraceQuery): Promise<{ logins: LoginTrace[]; version: number }> {
    const [changed, version] = await Promise.all([
      this.redis.zrangebyscore(this.keys.versions, query.after === undefined ? '-inf' : `(${query.after}`, '+inf', 'WITHSCORES'),
      this.redis.get(this.keys.counter),
    ]);
    const versions = new Map<string, number>();
    for (let i = 0; i + 1 < changed.length; i += 2) versions.set(changed[i]!, Number(changed[i + 1]));
    const ids = [...versions.keys()];
    if (!ids.length) return { logins: [], version: Number(version ?? 0) };
    const [started, values] = await Promise.all([this.redis.zmscore(this.keys.started, ...ids), this.redis.hmget(this.keys.data, ...ids)]);
    const logins = ids
      .map((id, i) => ({ started: Number(started[i] ?? 0), value: values[i] }))
      .filter((entry): entry is { started: number; value: string } => typeof entry.value === 'string')
      .sort((a, b) => a.started - b.started)
      .map((entry) => JSON.parse(entry.value) as LoginTrace);
    for (const trace of logins) trace.version = versions.get(trace.id) ?? trace.version;
    return { logins: logins.filter(matches(query)).slice(-query.limit), version: Number(version ?? 0) };
  }

  clear(): Promise<void> {
    return deleteNamespace(this.redis, this.prefix);
  }

  private async read(id: string | null): Promise<LoginTrace | undefined> {
    const value = id ? await this.redis.hget(this.keys.data, id) : null;
    return value ? (JSON.parse(value) as LoginTrace) : undefined;
  }
}

/** The trace store of a gateway's state: Redis when the state lives there. */
export const traceStoreFor = (state: SharedState): TraceStore =>
  state.redis ? new RedisTraceStore(state.redis, `${state.prefix}traces:`) : new MemoryTraceStore();
