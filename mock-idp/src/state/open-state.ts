import { join } from 'node:path';
import { redisState, systemClock, type Logger, type SharedState } from '@rehearsal/runtime';
import type { Redis } from 'ioredis';
import type { IdpConfig } from '../config.ts';
import { RedisLedgerLog, type LedgerLog } from '../ledger/ledger-log.ts';
import { exclusively, RedisState } from './redis-state.ts';
import { MemoryState, StateFile, type StatePort } from './state-file.ts';

/** The IdP's state as configured: Redis (shared by replicas), a file, or memory. */
export interface OpenedState {
  state: StatePort;
  /** The Redis connection and namespace, when the state lives there (secrets are shared through it). */
  shared: SharedState | undefined;
  /** Where it lives, for the banner. */
  description: string;
  /** Whether it outlives the process (a file, Redis). */
  lasting: boolean;
  /** Where the ledger is kept: Redis with the state, else this process's memory. */
  ledger: LedgerLog | undefined;
  /** Runs the IdP's start (taking up or loading the state) while no other replica runs its own. */
  starting<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The state and the ledger every replica shares, under `prefix` in Redis. */
export interface SharedIdpState {
  state: RedisState;
  ledger: RedisLedgerLog;
  /** Resolves once both hold every change made here so far. */
  flush: () => Promise<void>;
}

export async function openSharedIdpState(redis: Redis, prefix: string, onWriteError: (err: Error) => void, journalLength?: number): Promise<SharedIdpState> {
  const state = await RedisState.open(redis, `${prefix}state:`, onWriteError, journalLength);
  const ledger = new RedisLedgerLog(redis, `${prefix}ledger:`, onWriteError);
  const flush = async () => {
    await Promise.all([state.flush(), ledger.flush()]);
  };
  return { state, ledger, flush };
}

export async function openIdpState(config: IdpConfig, logger: Logger): Promise<OpenedState> {
  if (config.REDIS_URL) {
    const shared = await redisState(config.REDIS_URL, systemClock, `${config.REDIS_NAMESPACE}:idp`);
    const redis = shared.redis!;
    const lost = (err: Error) => logger.error('a change was not written to Redis', { error: err.message });
    try {
      const { state, ledger, flush } = await openSharedIdpState(redis, shared.prefix, lost);
      return {
        state,
        shared,
        description: `Redis ${shared.where} (shared by every replica)`,
        lasting: true,
        ledger,
        starting: (work) =>
          exclusively(redis, `${shared.prefix}starting`, async () => {
            const value = await work();
            await state.flush();
            return value;
          }),
        close: async () => {
          await flush();
          await shared.close();
        },
      };
    } catch (err) {
      await shared.close();
      throw err;
    }
  }
  const path = config.IDP_STATE ?? join(config.REHEARSAL_DATA_DIR, 'idp-state.jsonl');
  const state = path === ':memory:' ? new MemoryState() : new StateFile(path);
  return {
    state,
    shared: undefined,
    description: path === ':memory:' ? 'in memory (forgotten on exit)' : path,
    lasting: path !== ':memory:',
    ledger: undefined,
    starting: (work) => work(),
    close: () => {
      if (state instanceof StateFile) state.close();
      return Promise.resolve();
    },
  };
}
