import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

/**
 * Where the mock IdP keeps what it must not forget on a restart (users,
 * groups, service providers, fault rules, provisioning targets and what each
 * was sent), as keyed entries: components put and remove entries as they
 * change, and read them back on start.
 */
export interface StatePort {
  put(key: string, value: unknown): void;
  remove(key: string): void;
  get(key: string): unknown;
  /** Every entry whose key starts with `prefix`, in the order they were first put. */
  entries(prefix: string): [string, unknown][];
  /** Forgets every entry (a reset); the components then put their state again. */
  clear(): void;
}

/** What other replicas changed since the last catch-up: these state keys, or everything (a reset, or a journal trimmed past). */
export type StateChanges = ReadonlySet<string> | 'all';

/** A state port other replicas of the IdP write to as well (Redis). */
export interface SharedStatePort extends StatePort {
  /** Takes up what the other replicas changed since the last call. */
  catchUp(): Promise<StateChanges>;
  /** Resolves once every change made here has been written where the others read it. */
  flush(): Promise<void>;
}

/** Whether changes under `prefix` are among these. */
export const touches = (changes: StateChanges, prefix: string): boolean => changes === 'all' || [...changes].some((key) => key.startsWith(prefix));

/** State kept in memory only: a process that stops forgets everything (tests, `IDP_STATE=:memory:`). */
export class MemoryState implements StatePort {
  protected readonly data = new Map<string, unknown>();

  put(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  remove(key: string): void {
    this.data.delete(key);
  }
  get(key: string): unknown {
    return this.data.get(key);
  }
  entries(prefix: string): [string, unknown][] {
    return [...this.data].filter(([key]) => key.startsWith(prefix));
  }
  clear(): void {
    this.data.clear();
  }
}

/** A journal line: an entry put (`v`) or removed (`d`). */
type Line = { k: string; v: unknown } | { k: string; d: 1 };

/** Journal bytes beyond which, once also larger than the snapshot four times over, the file is rewritten. */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * State in a file of JSON lines: every change is one line appended at once
 * (a killed process loses nothing it answered for), and the file is rewritten
 * as a snapshot when the journal has grown well past the state it holds. A
 * line cut short by a crash is ignored on the next start. Mode 0600.
 */
export class StateFile extends MemoryState {
  private fd: number;
  private journalBytes = 0;
  private snapshotBytes = 0;

  constructor(private readonly path: string) {
    super();
    if (existsSync(path)) this.replay(readFileSync(path, 'utf8'));
    this.fd = this.rewrite();
  }

  override put(key: string, value: unknown): void {
    super.put(key, value);
    this.append({ k: key, v: value });
  }
  override remove(key: string): void {
    if (!this.data.has(key)) return;
    super.remove(key);
    this.append({ k: key, d: 1 });
  }
  override clear(): void {
    super.clear();
    closeSync(this.fd);
    this.fd = this.rewrite();
  }

  close(): void {
    closeSync(this.fd);
  }

  private replay(text: string): void {
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // the torn last line of a killed process
      }
      if (typeof line?.k !== 'string') continue;
      if ('d' in line) this.data.delete(line.k);
      else this.data.set(line.k, line.v);
    }
  }

  private append(line: Line): void {
    const text = JSON.stringify(line) + '\n';
    writeSync(this.fd, text);
    this.journalBytes += Buffer.byteLength(text);
    if (this.journalBytes > COMPACT_AFTER_BYTES && this.journalBytes > 4 * this.snapshotBytes) {
      closeSync(this.fd);
      this.fd = this.rewrite();
    }
  }

  /** Writes the current entries as a new file beside the old one, swaps them, and opens it for appending. */
  private rewrite(): number {
    const aside = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(aside, 'w', 0o600);
    let bytes = 0;
    let chunk = '';
    for (const [k, v] of this.data) {
      chunk += JSON.stringify({ k, v }) + '\n';
      if (chunk.length > 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) bytes += writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(aside, this.path);
    this.snapshotBytes = bytes;
    this.journalBytes = 0;
    return openSync(this.path, 'a', 0o600);
  }
}
