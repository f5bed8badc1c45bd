import { randomBytes } from 'node:crypto';
import { luaScript } from '@rehearsal/runtime';
import type { Redis } from 'ioredis';
import { MemoryState, type SharedStatePort, type StateChanges } from './state-file.ts';

/** Journal entries kept for replicas catching up; one further behind reloads the whole state. */
const JOURNAL_LENGTH = 100_000;
/** Entries read per round trip while catching up. */
const BATCH = 5000;

// KEYS: the values (hash), their first-put order (sorted set), the journal counter, the journal (stream).
// ARGV: the key, its value as JSON, the writing replica, the journal length.
const PUT = luaScript(`
local n = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', n, ARGV[1])
redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[4], '*', 'n', n, 'r', ARGV[3], 'k', ARGV[1])`);
const REMOVE = luaScript(`
local n = redis.call('INCR', KEYS[3])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[4], '*', 'n', n, 'r', ARGV[3], 'k', ARGV[1])`);
const CLEAR = luaScript(`
local n = redis.call('INCR', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[4], '*', 'n', n, 'r', ARGV[3], 'c', 1)`);

type JournalEntry = [id: string, fields: string[]];

/**
 * The mock IdP's state shared by its replicas through Redis. Each replica keeps
 * the whole state in memory, as with a state file, so the components read it
 * synchronously; every change is also written to Redis (the values in a hash,
 * the order they were first put in a sorted set) with a line in a journal (a
 * stream). Before each request a replica reads the journal from where it last
 * stopped and takes up what the others changed (`catchUp`); after it, its own
 * writes are acknowledged before the answer leaves (`flush`), so the next
 * request, on whichever replica, sees them.
 */
export class RedisState extends MemoryState implements SharedStatePort {
  private readonly replica = randomBytes(6).toString('hex');
  private readonly keys: [values: string, order: string, counter: string, journal: string];
  private lastId = '0-0';
  private lastN = 0;
  private written: Promise<void> = Promise.resolve();
  /** Local writes by key, numbered: a catch-up never overwrites a value written after it began. */
  private writeCount = 0;
  private readonly writtenAt = new Map<string, number>();
  private catchingUp: Promise<StateChanges> = Promise.resolve(new Set<string>());

  private constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly onWriteError: (err: Error) => void,
    private readonly journalLength: number,
  ) {
    super();
    this.keys = [`${prefix}values`, `${prefix}order`, `${prefix}n`, `${prefix}journal`];
  }

  /** The state as Redis holds it under `prefix`. */
  static async open(redis: Redis, prefix: string, onWriteError: (err: Error) => void, journalLength = JOURNAL_LENGTH): Promise<RedisState> {
    const state = new RedisState(redis, prefix, onWriteError, journalLength);
    await state.reload(0);
    return state;
  }

  override put(key: string, value: unknown): void {
    super.put(key, value);
    this.write(key, PUT, JSON.stringify(value));
  }
  override remove(key: string): void {
    super.remove(key);
    this.write(key, REMOVE);
  }
  override clear(): void {
    super.clear();
    this.write(undefined, CLEAR);
  }

  /** Resolves once Redis has every change made here so far (a failed one was reported to `onWriteError`). */
  flush(): Promise<void> {
    return this.written;
  }

  /** Takes up what other replicas changed since the last call; catch-ups run one after another. */
  catchUp(): Promise<StateChanges> {
    this.catchingUp = this.catchingUp.catch(() => undefined).then(() => this.readJournal());
    return this.catchingUp;
  }

  private write(key: string | undefined, script: ReturnType<typeof luaScript>, json = ''): void {
    if (key !== undefined) this.writtenAt.set(key, ++this.writeCount);
    // ioredis sends commands in order on one connection: awaiting the last write awaits them all.
    this.written = script(this.redis, this.keys, [key ?? '', json, this.replica, this.journalLength]).then(
      () => undefined,
      (err: unknown) => this.onWriteError(err as Error),
    );
  }

  private async readJournal(): Promise<StateChanges> {
    const since = this.writeCount;
    const changed = new Set<string>();
    let everything = false;
    for (;;) {
      const read = await this.redis.xread('COUNT', BATCH, 'STREAMS', this.keys[3], this.lastId);
      const entries = read?.[0]?.[1] ?? [];
      for (const [id, list] of entries) {
        const fields = fieldsOf(list);
        const n = Number(fields.n);
        // A gap: the journal was trimmed past what this replica read, so it reads everything.
        if (n !== this.lastN + 1) everything = true;
        this.lastId = id;
        this.lastN = n;
        if (fields.r === this.replica) continue;
        if (fields.c) everything = true;
        else if (fields.k !== undefined) changed.add(fields.k);
      }
      if (entries.length < BATCH) break;
    }
    if (everything) await this.reload(since);
    else if (changed.size) {
      const keys = [...changed];
      const values = await this.redis.hmget(this.keys[0], ...keys);
      keys.forEach((key, i) => {
        if (this.writtenSince(key, since)) return;
        const value = values[i];
        if (value === null || value === undefined) this.data.delete(key);
        else this.data.set(key, JSON.parse(value));
      });
    }
    // The next catch-up begins after every write counted so far: none of them can be newer than it.
    this.writtenAt.clear();
    return everything ? 'all' : changed;
  }

  /** Whether this replica wrote the key after a catch-up began: its own value is the newer one. */
  private writtenSince(key: string, since: number): boolean {
    return (this.writtenAt.get(key) ?? 0) > since;
  }

  /** Reads the whole state, in first-put order, keeping values written here since `since`. */
  private async reload(since: number): Promise<void> {
    const [last] = (await this.redis.xrevrange(this.keys[3], '+', '-', 'COUNT', 1)) as JournalEntry[];
    if (last) {
      this.lastId = last[0];
      this.lastN = Number(fieldsOf(last[1]).n);
    }
    const [order, values] = await Promise.all([this.redis.zrange(this.keys[1], 0, -1), this.redis.hgetall(this.keys[0])]);
    // Written here meanwhile: kept as this replica has it (present, or removed).
    const local = new Map<string, unknown>([...this.writtenAt.keys()].filter((key) => this.writtenSince(key, since)).map((key) => [key, this.data.get(key)]));
    this.data.clear();
    for (const key of order) {
      const saved = values[key];
      const value: unknown = local.has(key) ? local.get(key) : saved === undefined ? undefined : JSON.parse(saved);
      if (value !== undefined) this.data.set(key, value);
    }
    for (const [key, value] of local) if (value !== undefined && !this.data.has(key)) this.data.set(key, value);
  }
}

/** A stream entry's fields, from Redis's flat list of names and values. */
function fieldsOf(list: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]!] = list[i + 1]!;
  return fields;
}

/** How long a replica starting may hold the start lock (a crashed one's lapses). */
const START_LOCK_MS = 60_000;

/**
 * Runs `work` while no other replica runs its own: replicas starting together
 * would otherwise each load the configured directory into the shared state.
 */
export async function exclusively<T>(redis: Redis, key: string, work: () => Promise<T>): Promise<T> {
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + START_LOCK_MS;
  while ((await redis.set(key, token, 'PX', START_LOCK_MS, 'NX')) === null) {
    if (Date.now() > deadline) throw new Error(`another IdP replica held ${key} for over a minute`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    return await work();
  } finally {
    if ((await redis.get(key)) === token) await redis.del(key);
  }
}
