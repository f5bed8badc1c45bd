import { deleteNamespace, luaScript } from '@rehearsal/runtime';
import type { Redis } from 'ioredis';
import type { LedgerEntry } from './ledger.ts';
import { SequencedLog } from './sequenced-log.ts';

/** How many entries are kept: a long-running IdP must not grow without bound. */
export const LEDGER_CAPACITY = 5000;

/**
 * Where the ledger's entries are kept: this process's memory, or Redis, where
 * every replica of the IdP writes what it received and sent, numbered in one
 * sequence, so that `GET /api/ledger?after=N` reads the same on each.
 */
export interface LedgerLog {
  /** Adds an entry, numbered next (in Redis, once written; `flush` waits for it). */
  add(entry: Omit<LedgerEntry, 'seq'>): void;
  /** The kept entries that match, oldest first, after a sequence number when given; and the last number given. */
  select(matches: (entry: Omit<LedgerEntry, 'xml'>) => boolean, after: number | undefined, limit: number): Promise<{ entries: LedgerEntry[]; last: number }>;
  clear(): Promise<void>;
  /** Resolves once every entry added so far is where the other replicas read it. */
  flush(): Promise<void>;
}

export class MemoryLedgerLog implements LedgerLog {
  private readonly log = new SequencedLog<LedgerEntry>(LEDGER_CAPACITY);

  add(entry: Omit<LedgerEntry, 'seq'>): void {
    this.log.add((seq) => ({ seq, ...entry }));
  }
  select(matches: (entry: LedgerEntry) => boolean, after: number | undefined, limit: number): Promise<{ entries: LedgerEntry[]; last: number }> {
    return Promise.resolve({ entries: this.log.select(matches, after).slice(-limit), last: this.log.last });
  }
  clear(): Promise<void> {
    this.log.clear();
    return Promise.resolve();
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

// KEYS: the counter, the entries without their XML (sorted set by number; member "<seq> <json>"), the XML (hash by number).
// ARGV: the entry without its XML (JSON), its XML ('' for none), the capacity.
const ADD = luaScript(`
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. ' ' .. ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], seq, ARGV[2]) end
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over >= math.ceil(tonumber(ARGV[3]) / 10) then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do redis.call('HDEL', KEYS[3], string.match(member, '^%d+')) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return seq`);

/** The ledger in Redis under `prefix`: entries and their XML apart, so a filter reads no XML it does not return. */
export class RedisLedgerLog implements LedgerLog {
  private readonly keys: [counter: string, entries: string, xml: string];
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onWriteError: (err: Error) => void,
  ) {
    this.keys = [`${prefix}seq`, `${prefix}entries`, `${prefix}xml`];
  }

  add(entry: Omit<LedgerEntry, 'seq'>): void {
    const { xml, ...rest } = entry;
    this.written = ADD(this.redis, this.keys, [JSON.stringify(rest), xml ?? '', LEDGER_CAPACITY]).then(
      () => undefined,
      (err: unknown) => this.onWriteError(err as Error),
    );
  }

  async select(
    matches: (entry: Omit<LedgerEntry, 'xml'>) => boolean,
    after: number | undefined,
    limit: number,
  ): Promise<{ entries: LedgerEntry[]; last: number }> {
    const [members, last] = await Promise.all([
      this.redis.zrangebyscore(this.keys[1], after === undefined ? '-inf' : `(${after}`, '+inf'),
      this.redis.get(this.keys[0]),
    ]);
    const entries = members
      .slice(-LEDGER_CAPACITY)
      .map((member) => {
        const space = member.indexOf(' ');
        return { seq: Number(member.slice(0, space)), ...(JSON.parse(member.slice(space + 1)) as Omit<LedgerEntry, 'seq' | 'xml'>) };
      })
      .filter(matches)
      .slice(-limit);
    const xml = entries.length ? await this.redis.hmget(this.keys[2], ...entries.map((e) => String(e.seq))) : [];
    return { entries: entries.map((e, i) => ({ ...e, ...(xml[i] ? { xml: xml[i] } : {}) })), last: Number(last ?? 0) };
  }

  clear(): Promise<void> {
    return deleteNamespace(this.redis, this.prefix);
  }

  flush(): Promise<void> {
    return this.written;
  }
}
