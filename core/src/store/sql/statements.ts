import type { Page } from '../store.ts';
import type { Dialect } from './dialect.ts';
import { toAccount, sqlValue, type Row, type Params } from './rows.ts';

/**
 * The statements every area of the store runs, on one connection that a unit of
 * work holds alone. A backend says how a statement runs (`all`, `one`, `run`)
 * and which dialect it speaks; the areas extend this class one after the other
 * (orgs, accounts, policies, Trello, SCIM, audit) so that the transaction object
 * stays one `StoreTx`, written in files by concept.
 */
export abstract class Statements {
  constructor(protected readonly dialect: Dialect) {}

  protected abstract all(sql: string, params?: Params): Promise<Row[]>;
  protected abstract one(sql: string, params?: Params): Promise<Row | undefined>;
  /** Runs a write; resolves to the number of rows it changed. */
  protected abstract run(sql: string, params?: Params): Promise<number>;

  /** `IN (...)` over the strings of a JSON-array parameter; `noCase` to match a case-insensitive column. */
  protected inList(param = '?', noCase = false): string {
    return `IN (SELECT ${noCase ? this.dialect.noCase('value') : 'value'} FROM ${this.dialect.ids(param, 'ids')})`;
  }
  protected async update(table: string, columns: Record<string, string>, id: string, patch: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const entries = Object.entries({ ...patch, ...extra }).filter(([k, v]) => v !== undefined && columns[k] !== undefined);
    if (!entries.length) return;
    const set = entries.map(([k]) => `${columns[k]} = ?`).join(', ');
    await this.run(`UPDATE ${table} SET ${set} WHERE id = ?`, [...entries.map(([, v]) => sqlValue(v)), id]);
  }
  protected async paged(countSql: string, rowsSql: string, params: unknown[], page: Page) {
    const total = Number((await this.one(countSql, params))?.n ?? 0);
    const accounts = (await this.all(`${rowsSql} LIMIT ? OFFSET ?`, [...params, page.limit, page.offset])).map(toAccount);
    return { total, accounts };
  }
}
