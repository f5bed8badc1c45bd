import { z } from 'zod';
import { parseInput } from '@rehearsal/runtime';
import { SequencedLog } from '../ledger/sequenced-log.ts';
import type { Exchange } from './scim-client.ts';

export interface AttributeDiff {
  path: string;
  /** What the target holds now. */
  current?: string | boolean;
  /** What the mappings make of the IdP user: the value the target would get. */
  desired?: string | boolean;
  /** What the IdP sent last time, when it sent anything. */
  lastProvisioned?: string | boolean;
  /**
   * `add` (the target has none), `update`, `overwrite` (the target's value was
   * edited there since the IdP last sent it), `clear` (the value would be
   * removed), `unchanged`.
   */
  change: 'add' | 'update' | 'overwrite' | 'clear' | 'unchanged';
}

export interface LogEntry extends Exchange {
  seq: number;
  target: string;
  cycle: string;
  /** The IdP user's email or the group's name the request was about. */
  user?: string;
  group?: string;
  operation: string;
  /** `ok`, `retried` (a later attempt followed), `failed`, or `skipped` (a bad record, the cycle went on). */
  outcome: 'ok' | 'retried' | 'failed' | 'skipped';
  reason?: string;
  diff?: AttributeDiff[];
}

const query = z
  .object({
    cycle: z.string().optional(),
    user: z.string().optional(),
    group: z.string().optional(),
    outcome: z.enum(['ok', 'retried', 'failed', 'skipped']).optional(),
    writes: z.enum(['true', 'false']).optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

/** Enough for a 10,000-user initial cycle and what follows; older entries drop off. */
export const LOG_CAPACITY = 100_000;

export class ProvisioningLog {
  private readonly log = new SequencedLog<LogEntry>(LOG_CAPACITY);

  add(entry: Omit<LogEntry, 'seq'>): void {
    this.log.add((seq) => ({ ...entry, seq }));
  }

  list(target: string, input: unknown): { entries: LogEntry[]; last: number } {
    const q = parseInput(query, input, 'query');
    const entries = this.log.select(
      (e) =>
        e.target === target &&
        (q.cycle === undefined || e.cycle === q.cycle) &&
        (q.user === undefined || e.user === q.user.toLowerCase()) &&
        (q.group === undefined || e.group === q.group) &&
        (q.outcome === undefined || e.outcome === q.outcome) &&
        (q.writes === undefined || (e.method !== 'GET') === (q.writes === 'true')),
      q.after,
    );
    return { entries: entries.slice(0, q.limit), last: this.log.last };
  }

  forget(target: string): void {
    this.log.remove((e) => e.target === target);
  }

  clear(): void {
    this.log.clear();
  }
}
