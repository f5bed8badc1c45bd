import type { Params } from '../sql/rows.ts';

/** A statement as node-postgres takes it: `$1`, `$2`... and their values in order. */
export interface PositionalStatement {
  text: string;
  values: unknown[];
}

interface Template {
  text: string;
  /** For each `$n`, the name it came from, or its position among the `?`s. */
  sources: (string | number)[];
}

const templates = new Map<string, Template>();

/**
 * The shared statements' `?` and `:name` parameters as PostgreSQL's `$n`. Quoted
 * literals and `::` casts are left alone; a name used twice becomes one `$n`.
 */
export function toPositional(sql: string, params: Params = []): PositionalStatement {
  let template = templates.get(sql);
  if (!template) {
    template = compile(sql);
    templates.set(sql, template);
  }
  const values = template.sources.map((source) => {
    const value = typeof source === 'number' ? (params as unknown[])[source] : (params as Record<string, unknown>)[source];
    return value === undefined ? null : value;
  });
  return { text: template.text, values };
}

function compile(sql: string): Template {
  const sources: (string | number)[] = [];
  const named = new Map<string, number>();
  let text = '';
  let positional = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      sources.push(positional++);
      text += `$${sources.length}`;
    } else if (c === ':' && sql[i + 1] === ':') {
      text += '::';
      i++;
    } else if (c === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      let index = named.get(name);
      if (index === undefined) {
        sources.push(name);
        index = sources.length;
        named.set(name, index);
      }
      text += `$${index}`;
      i += name.length;
    } else {
      text += c;
    }
  }
  return { text, sources };
}
