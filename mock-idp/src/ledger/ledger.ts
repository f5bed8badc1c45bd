import { z } from 'zod';
import { parseInput, type Clock } from '@rehearsal/runtime';
import type { Fault } from '../faults/fault.ts';
import { MemoryLedgerLog, type LedgerLog } from './ledger-log.ts';

export type MessageKind = 'AuthnRequest' | 'Response' | 'LogoutRequest' | 'LogoutResponse';
export type Binding = 'redirect' | 'post' | 'api';

/** One SAML message the IdP received or sent, as a test needs it to explain what the SP saw. */
export interface LedgerEntry {
  seq: number;
  time: string;
  direction: 'received' | 'sent';
  message: MessageKind;
  binding: Binding;
  sp?: string;
  user?: string;
  /** The message's ID and the request it answers. */
  id?: string;
  inResponseTo?: string;
  destination?: string;
  relayState?: string;
  faults: Fault[];
  /** `accepted` or `sent`, or the reason code a received message was refused with. */
  outcome: string;
  /** The decoded XML; absent when the message could not even be decoded. */
  xml?: string;
}

export type LedgerRecord = Omit<LedgerEntry, 'seq' | 'time' | 'faults'> & { faults?: Fault[] };

const query = z
  .object({
    sp: z.string().optional(),
    user: z.string().optional(),
    message: z.enum(['AuthnRequest', 'Response', 'LogoutRequest', 'LogoutResponse']).optional(),
    direction: z.enum(['received', 'sent']).optional(),
    /** Entries after this sequence number: a test remembers where it started. */
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .strict();

/** Every SAML message the IdP received and sent, kept in a `LedgerLog` (memory, or Redis for replicas). */
export class Ledger {
  constructor(
    private readonly clock: Clock,
    readonly log: LedgerLog = new MemoryLedgerLog(),
  ) {}

  record(entry: LedgerRecord): void {
    this.log.add({ time: this.clock.now().toISOString(), ...entry, faults: entry.faults ?? [] });
  }

  /** Oldest first, filtered by the query string's fields; the newest `limit` of them. */
  list(input: unknown): Promise<{ entries: LedgerEntry[]; last: number }> {
    const q = parseInput(query, input, 'query');
    return this.log.select(
      (e) =>
        (q.sp === undefined || e.sp === q.sp) &&
        (q.user === undefined || e.user === q.user.toLowerCase()) &&
        (q.message === undefined || e.message === q.message) &&
        (q.direction === undefined || e.direction === q.direction),
      q.after,
      q.limit,
    );
  }

  clear(): Promise<void> {
    return this.log.clear();
  }
}
