/**
 * What differs between the SQL of SQLite and PostgreSQL in the statements the
 * store shares. Everything else in `sql/` is written once, in the SQL both take:
 * `?` and `:name` parameters (the PostgreSQL connection numbers them), `ON
 * CONFLICT`, and 0/1 integers for flags.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** A table of the strings in a JSON-array parameter (see `list`), with the column `value`. */
  ids(param: string, alias: string): string;
  /** A value as a case-insensitive string, to compare with a case-insensitive column. */
  noCase(expr: string): string;
  /** A table of the objects in a JSON-array parameter, one text column per field. */
  records(param: string, fields: readonly string[]): string;
  /** The hidden column that orders a table's rows as they were inserted. */
  readonly insertionOrder: string;
  /** A join done in the order written (SQLite's planner takes CROSS JOIN as that order); it takes an ON clause. */
  readonly orderedJoin: string;
  /** `expr <op> ?`, comparing as SCIM's caseExact=false strings do. */
  compareNoCase(expr: string, op: string): string;
  /** `expr` LIKE a pattern parameter, ignoring case, `\` escaping. */
  likeNoCase(expr: string): string;
  /** Case-exact substring tests; each takes its parameter twice where it says so. */
  containsExact(expr: string): string;
  /** Two parameters: the prefix, twice. */
  startsWithExact(expr: string): string;
  /** Two parameters: the suffix, twice. */
  endsWithExact(expr: string): string;
}

export const SQLITE: Dialect = {
  name: 'sqlite',
  ids: (param, alias) => `json_each(${param}) ${alias}`,
  // The column's NOCASE collation decides the comparison.
  noCase: (expr) => expr,
  records: (param, fields) => `(SELECT ${fields.map((f) => `json_extract(value, '$.${f}') AS ${f}`).join(', ')} FROM json_each(${param}))`,
  insertionOrder: 'rowid',
  orderedJoin: 'CROSS JOIN',
  compareNoCase: (expr, op) => `${expr} ${op} ? COLLATE NOCASE`,
  // SQLite's LIKE ignores ASCII case already.
  likeNoCase: (expr) => `${expr} LIKE ? ESCAPE '\\'`,
  containsExact: (expr) => `instr(${expr}, ?) > 0`,
  startsWithExact: (expr) => `substr(${expr}, 1, length(?)) = ?`,
  endsWithExact: (expr) => `substr(${expr}, -length(?)) = ?`,
};

/** Case-insensitive columns are `citext` in PostgreSQL, as they are `COLLATE NOCASE` in SQLite. */
export const POSTGRES: Dialect = {
  name: 'postgres',
  ids: (param, alias) => `jsonb_array_elements_text(CAST(${param} AS jsonb)) AS ${alias}(value)`,
  noCase: (expr) => `CAST(${expr} AS citext)`,
  records: (param, fields) =>
    `(SELECT ${fields.map((f) => `value ->> '${f}' AS ${f}`).join(', ')} FROM jsonb_array_elements(CAST(${param} AS jsonb)) AS j(value))`,
  insertionOrder: 'seq',
  orderedJoin: 'JOIN',
  compareNoCase: (expr, op) => `${expr} ${op} CAST(? AS citext)`,
  likeNoCase: (expr) => `${expr} ILIKE ? ESCAPE '\\'`,
  containsExact: (expr) => `strpos(CAST(${expr} AS text), CAST(? AS text)) > 0`,
  startsWithExact: (expr) => `left(CAST(${expr} AS text), length(CAST(? AS text))) = CAST(? AS text)`,
  endsWithExact: (expr) => `right(CAST(${expr} AS text), length(CAST(? AS text))) = CAST(? AS text)`,
};
