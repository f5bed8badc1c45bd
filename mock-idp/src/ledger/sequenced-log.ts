/**
 * Entries numbered in order of arrival, keeping the newest `capacity` of them.
 * The oldest are dropped in batches (a tenth of the capacity at a time), so
 * adding to a full log costs no more than adding to an empty one; reading
 * shows only the newest `capacity` all the same.
 */
export class SequencedLog<T extends { seq: number }> {
  private entries: T[] = [];
  private seq = 0;

  constructor(private readonly capacity: number) {}

  /** The sequence number of the last entry added (0 before any). */
  get last(): number {
    return this.seq;
  }

  add(make: (seq: number) => T): T {
    const entry = make(++this.seq);
    this.entries.push(entry);
    if (this.entries.length >= this.capacity + Math.ceil(this.capacity / 10)) this.entries.splice(0, this.entries.length - this.capacity);
    return entry;
  }

  /** The kept entries that match, oldest first, after a sequence number when given. */
  select(matches: (entry: T) => boolean, after?: number): T[] {
    const kept = this.entries.length > this.capacity ? this.entries.slice(-this.capacity) : this.entries;
    return kept.filter((e) => (after === undefined || e.seq > after) && matches(e));
  }

  remove(matches: (entry: T) => boolean): void {
    this.entries = this.entries.filter((e) => !matches(e));
  }

  clear(): void {
    this.entries = [];
  }
}
