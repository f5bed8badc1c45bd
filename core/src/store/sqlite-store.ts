import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.ts';
import { GroupCommit, type TransactionControl } from './sqlite/group-commit.ts';
import { SqliteTx } from './sqlite/sqlite-tx.ts';
import type { Store, StoreTx } from './store.ts';

/**
 * Core's store on one SQLite file (WAL), behind the `Store` interface. The
 * rows of each area live in `sqlite/`; writes go through the group-commit
 * writer, one unit of work at a time.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly writer: GroupCommit<StoreTx>;
  /** One process owns the file: its counters need not outlive it. */
  private readonly counters = new Map<string, unknown>();

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // SQLite gives the -wal and -shm files the database file's mode: create it 0600 (it holds password hashes).
      closeSync(openSync(path, 'a', 0o600));
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    }
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // WAL with NORMAL sync cannot corrupt the database; a power cut may lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    // 64 MiB of page cache (the default is 2 MiB): indexes of a 150,000-user directory stay in memory.
    this.db.pragma('cache_size = -65536');
    // Checkpoint every 32 MiB of WAL rather than every 4 MiB: pages rewritten by many
    // commits are copied back once, and the checkpoint's fsync runs an eighth as often.
    this.db.pragma('wal_autocheckpoint = 8192');
    migrate(this.db);
    this.writer = new GroupCommit<StoreTx>(transactionControl(this.db), new SqliteTx(this.db));
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.writer.enqueue(work, true);
  }

  /** Reads queue like writes: they must not see a unit that is half done. */
  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.writer.enqueue(work, false);
  }

  updateCounter<T>(key: string, update: (current: T | undefined) => T): Promise<T> {
    const next = update(this.counters.get(key) as T | undefined);
    this.counters.set(key, next);
    return Promise.resolve(next);
  }

  wipe(): Promise<void> {
    this.counters.clear();
    return this.writer.enqueue(() => {
      const tables = this.db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'`)
        .all() as { name: string }[];
      this.db.exec('PRAGMA defer_foreign_keys = ON');
      for (const t of tables) this.db.exec(`DELETE FROM "${t.name}"`);
      return Promise.resolve();
    }, true);
  }

  async close(): Promise<void> {
    await this.writer.enqueue(() => Promise.resolve(), false);
    this.db.close();
  }
}

/**
 * The group-commit writer's transaction statements on a connection, prepared once
 * (exec would parse them again for every unit of work); `observe` sees each as it runs.
 */
export function transactionControl(db: Database.Database, observe?: (sql: string) => void): TransactionControl {
  const statement = (sql: string) => {
    const prepared = db.prepare(sql);
    return () => {
      observe?.(sql);
      prepared.run();
    };
  };
  return {
    begin: statement('BEGIN IMMEDIATE'),
    commit: statement('COMMIT'),
    rollback: statement('ROLLBACK'),
    savepoint: statement('SAVEPOINT unit'),
    release: statement('RELEASE unit'),
    rollbackTo: statement('ROLLBACK TO unit'),
  };
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
    })();
  }
}
