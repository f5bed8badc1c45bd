import type Database from 'better-sqlite3';
import type { Page } from '../store.ts';
import { toAccount, sqlValue, type Row, type Params } from './rows.ts';

/**
 * The statements every area of the SQLite store uses: prepared once and kept,
 * run on the one connection the store owns. The areas extend this class one
 * after the other (orgs, accounts, policies, Trello, SCIM, audit) so that the
 * transaction object stays one `StoreTx`, written in files by concept.
 */
export class Statements {
  protected readonly statements = new Map<string, Database.Statement>();

  constructor(protected readonly db: Database.Database) {}

  protected stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
  protected all(sql: string, params: Params = []): Row[] {
    return this.stmt(sql).all(params) as Row[];
  }
  protected one(sql: string, params: Params = []): Row | undefined {
    return this.stmt(sql).get(params) as Row | undefined;
  }
  protected run(sql: string, params: Params = []): number {
    return this.stmt(sql).run(params).changes;
  }
  protected update(table: string, columns: Record<string, string>, id: string, patch: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const entries = Object.entries({ ...patch, ...extra }).filter(([k, v]) => v !== undefined && columns[k] !== undefined);
    if (!entries.length) return;
    const set = entries.map(([k]) => `${columns[k]} = ?`).join(', ');
    this.run(`UPDATE ${table} SET ${set} WHERE id = ?`, [...entries.map(([, v]) => sqlValue(v)), id]);
  }
  protected paged(countSql: string, rowsSql: string, params: unknown[], page: Page) {
    const total = Number(this.one(countSql, params)?.n ?? 0);
    const accounts = this.all(`${rowsSql} LIMIT ? OFFSET ?`, [...params, page.limit, page.offset]).map(toAccount);
    return { total, accounts };
  }
}
