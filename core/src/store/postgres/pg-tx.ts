import type { PoolClient } from 'pg';
import { POSTGRES } from '../sql/dialect.ts';
import type { Params, Row } from '../sql/rows.ts';
import { SqlTx } from '../sql/sql-tx.ts';
import { isUnstorableValue, StoreValueError } from '../store-errors.ts';
import { toPositional } from './placeholders.ts';

const names = new Map<string, string>();
/** One name per statement text: each connection parses and plans a statement once, then reuses it. */
const nameOf = (text: string) => {
  let name = names.get(text);
  if (!name) {
    name = `s${names.size + 1}`;
    names.set(text, name);
  }
  return name;
};

/** The store's statements on one pooled PostgreSQL connection, held by one unit of work. */
export class PgTx extends SqlTx {
  constructor(private readonly client: PoolClient) {
    super(POSTGRES);
  }

  private async query(sql: string, params?: Params) {
    const { text, values } = toPositional(sql, params);
    try {
      return await this.client.query<Row>({ name: nameOf(text), text, values });
    } catch (err) {
      throw isUnstorableValue(err) ? new StoreValueError(err) : err;
    }
  }
  protected async all(sql: string, params?: Params): Promise<Row[]> {
    return (await this.query(sql, params)).rows;
  }
  protected async one(sql: string, params?: Params): Promise<Row | undefined> {
    return (await this.query(sql, params)).rows[0];
  }
  protected async run(sql: string, params?: Params): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }
}
