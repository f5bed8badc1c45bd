import { withoutPassword, type Logger } from '@rehearsal/runtime';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export interface StoreChoice {
  /** PostgreSQL when set; else the SQLite file. */
  databaseUrl?: string | undefined;
  schema?: string;
  sqlitePath: string;
  logger?: Logger;
}

/** Core's store as configured: PostgreSQL for shared staging, SQLite (the default) for one machine. */
export async function openStore(choice: StoreChoice): Promise<{ store: Store; description: string }> {
  if (!choice.databaseUrl) return { store: new SqliteStore(choice.sqlitePath), description: choice.sqlitePath };
  const store = await PostgresStore.open(choice.databaseUrl, {
    ...(choice.schema ? { schema: choice.schema } : {}),
    onIdleError: (err) => choice.logger?.warn('PostgreSQL connection lost while idle', { err: err.message }),
  });
  return { store, description: `${withoutPassword(choice.databaseUrl)} (schema ${choice.schema ?? 'public'})` };
}
