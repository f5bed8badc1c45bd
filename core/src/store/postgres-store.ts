import pg from 'pg';
import type { PoolClient } from 'pg';
import { PG_MIGRATIONS } from './postgres/pg-migrations.ts';
import { PgTx } from './postgres/pg-tx.ts';
import { isConnectionFailure, StoreUnavailableError } from './store-errors.ts';
import type { Store, StoreTx } from './store.ts';

export interface PostgresStoreOptions {
  /** The schema the tables live in, created when missing (`public` by default): one database can hold several stacks. */
  schema?: string;
  /** Connections in the pool (10 by default). */
  maxConnections?: number;
  /** Drops the schema on close: for a test's own schema only. */
  dropSchemaOnClose?: boolean;
  /** Told about connections the pool lost while idle (a server restart). */
  onIdleError?: (err: Error) => void;
}

/** Advisory-lock namespace of Rehearsal (`pg_advisory_lock(int, int)`'s first key). */
const LOCK_NAMESPACE = 0x52_48_53_4c; // "RHSL"
/** Second key of the lock migrations take, for the whole database (extensions are database-wide). */
const MIGRATION_LOCK = 0;

/** A stable 31-bit number for a schema's write lock. */
function lockKey(schema: string): number {
  let h = 0;
  for (const ch of schema) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h & 0x7fffffff || 1;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Core's store on PostgreSQL (`DATABASE_URL`), behind the same `Store` interface
 * as SQLite. Every unit of work holds one pooled connection inside a transaction.
 * Writes take one advisory lock per schema first, so they run one at a time across
 * every core sharing the database, as they do on SQLite's single writer: the
 * domain's read-check-write units stay correct without retries. Reads run
 * alongside them on a repeatable-read snapshot.
 */
export class PostgresStore implements Store {
  private closing: Promise<void> | undefined;
  /** The second key of this schema's write lock. */
  private readonly writeLock: number;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly options: PostgresStoreOptions,
  ) {
    this.writeLock = lockKey(schema);
  }

  /** Connects and runs the migrations the schema lacks, under a lock so that cores starting together do not race. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 5000,
      options: `-c search_path=${quoteIdent(schema)},public`,
    });
    // A pooled connection the server closes while idle emits here; without a listener it would end the process.
    pool.on('error', (err) => options.onIdleError?.(err));
    const store = new PostgresStore(pool, schema, options);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  /** Drops a schema and everything in it: an ephemeral stack's, once its cores have stopped. */
  static async dropSchema(url: string, schema: string): Promise<void> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    } finally {
      await client.end();
    }
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.unit('BEGIN', true, (client) => work(new PgTx(client)));
  }

  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.unit('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', false, (client) => work(new PgTx(client)));
  }

  /** A row of `shared_counters`, locked for the update: concurrent updates of one key take turns, others run beside. */
  updateCounter<T>(key: string, update: (current: T | undefined) => T): Promise<T> {
    return this.unit('BEGIN', false, async (client) => {
      await client.query({
        name: 'counter-ensure',
        text: 'INSERT INTO shared_counters (key, value) VALUES ($1, NULL) ON CONFLICT (key) DO NOTHING',
        values: [key],
      });
      const row = await client.query<{ value: T | null }>({
        name: 'counter-lock',
        text: 'SELECT value FROM shared_counters WHERE key = $1 FOR UPDATE',
        values: [key],
      });
      const next = update(row.rows[0]?.value ?? undefined);
      await client.query({ name: 'counter-set', text: 'UPDATE shared_counters SET value = $2 WHERE key = $1', values: [key, JSON.stringify(next)] });
      return next;
    });
  }

  async wipe(): Promise<void> {
    await this.unit('BEGIN', true, async (client) => {
      const tables = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
        [this.schema],
      );
      // One TRUNCATE for every table: foreign keys between them are no obstacle.
      if (tables.rows.length) await client.query(`TRUNCATE ${tables.rows.map((t) => quoteIdent(t.name)).join(', ')}`);
    });
  }

  /** Ends the pool once; closing again (a test's core closed twice) is answered by the first close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.options.dropSchemaOnClose) await this.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.schema)} CASCADE`);
      await this.pool.end();
    })();
    return this.closing;
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
  }

  /** One unit of work on a connection of its own, in a transaction; writers take the schema's write lock first. */
  private async unit<T>(begin: string, writes: boolean, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken = false;
    try {
      await client.query(begin);
      if (writes) await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, this.writeLock]);
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      broken = isConnectionFailure(err);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw broken ? new StoreUnavailableError(err) : err;
    } finally {
      // A connection that failed is dropped, not handed to the next unit.
      client.release(broken || undefined);
    }
  }

  private async migrate(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
        const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        for (const migration of PG_MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              migration.version,
              migration.name,
              new Date().toISOString(),
            ]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }
}
