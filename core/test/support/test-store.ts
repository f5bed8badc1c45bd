import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

/** A schema of its own for one test's store: tests sharing a PostgreSQL server never see each other's rows. */
export const testSchema = () => `test_${randomBytes(6).toString('hex')}`;

/**
 * The store a test's core runs on: a SQLite file in `dir`, or, when the suite runs
 * with DATABASE_URL (npm test's second run), a fresh schema of that PostgreSQL
 * database, dropped again on close.
 */
export async function openTestStore(dir: string): Promise<Store> {
  const url = process.env.DATABASE_URL;
  if (!url) return new SqliteStore(join(dir, 'core.sqlite'));
  return PostgresStore.open(url, { schema: testSchema(), dropSchemaOnClose: true, maxConnections: 4 });
}
