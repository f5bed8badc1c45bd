import type Database from 'better-sqlite3';
import { SQLITE } from '../sql/dialect.ts';
import type { Params, Row } from '../sql/rows.ts';
import { SqlTx } from '../sql/sql-tx.ts';

/** The store's statements on the one SQLite connection, each prepared once and kept. */
export class SqliteTx extends SqlTx {
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    super(SQLITE);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.prepared.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.prepared.set(sql, s);
    }
    return s;
  }
  protected all(sql: string, params: Params = []): Promise<Row[]> {
    return Promise.resolve(this.stmt(sql).all(params) as Row[]);
  }
  protected one(sql: string, params: Params = []): Promise<Row | undefined> {
    return Promise.resolve(this.stmt(sql).get(params) as Row | undefined);
  }
  protected run(sql: string, params: Params = []): Promise<number> {
    return Promise.resolve(this.stmt(sql).run(params).changes);
  }
}
