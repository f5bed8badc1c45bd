/**
 * The store's writer: one connection, used by one unit of work at a time (a
 * unit spans awaits, so nothing may interleave with it). Units that queue up
 * together share a single transaction (group commit), each inside its own
 * SAVEPOINT so that a failing unit is rolled back alone; none is answered
 * before the COMMIT. Under concurrent writes this turns one WAL commit per
 * request into one per batch.
 */

/** The transaction-control statements of the connection, prepared once. */
export interface TransactionControl {
  begin(): void;
  commit(): void;
  rollback(): void;
  savepoint(): void;
  release(): void;
  rollbackTo(): void;
}

interface QueuedWork<Tx> {
  work: (tx: Tx) => Promise<unknown>;
  /** Read-only units need no savepoint. */
  writes: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** How many units of work at most share one transaction. */
export const GROUP_COMMIT_MAX = 64;

export class GroupCommit<Tx> {
  private readonly queue: QueuedWork<Tx>[] = [];
  private draining = false;

  constructor(
    private readonly control: TransactionControl,
    private readonly tx: Tx,
    private readonly maxBatch = GROUP_COMMIT_MAX,
  ) {}

  /** Runs `work` in its turn; `writes` units run inside a transaction (and a savepoint of their own). */
  enqueue<T>(work: (tx: Tx) => Promise<T>, writes: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, writes, resolve: resolve as (value: unknown) => void, reject });
      // Start on the next turn, so that requests arriving together are committed together.
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      // Reads alone need no transaction: nothing else uses this connection meanwhile.
      const writes = batch.some((item) => item.writes);
      try {
        if (writes) this.control.begin();
      } catch (error) {
        batch.forEach((item) => item.reject(error));
        continue;
      }
      for (const item of batch) {
        if (item.writes) this.control.savepoint();
        try {
          const value = await item.work(this.tx);
          if (item.writes) this.control.release();
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (item.writes) {
            this.control.rollbackTo();
            this.control.release();
          }
          outcomes.push({ ok: false, error });
        }
      }
      try {
        if (writes) this.control.commit();
      } catch (error) {
        this.control.rollback();
        outcomes.fill({ ok: false, error });
      }
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    }
    this.draining = false;
  }
}
