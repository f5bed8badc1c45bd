/**
 * Attribute-mapping expressions, in the syntax Entra ID uses:
 * `[givenName]`, `"text"`, `Join(" ", [givenName], [surname])`, `Coalesce(...)`,
 * `ToLower(...)`, `ToUpper(...)`, `Replace(value, find, replacement)`,
 * `Left(value, n)`, `Switch(value, default, key1, value1, ...)`.
 * Parsed once into a typed tree; evaluation never re-reads the text.
 */

import { PROFILE_SOURCES } from '../directory/user.ts';

export const FUNCTIONS = ['Join', 'Coalesce', 'ToLower', 'ToUpper', 'Replace', 'Left', 'Switch'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export type Expression =
  | { kind: 'attribute'; name: SourceAttribute }
  | { kind: 'text'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; fn: FunctionName; args: Expression[] };

/** IdP user fields an expression can read; Entra's names are accepted as aliases. */
export const SOURCE_ATTRIBUTES = ['id', 'email', 'userName', ...PROFILE_SOURCES, 'active'] as const;
export type SourceAttribute = (typeof SOURCE_ATTRIBUTES)[number];

const ALIASES: Record<string, SourceAttribute> = {
  objectid: 'id',
  mail: 'email',
  userprincipalname: 'userName',
  accountenabled: 'active',
  companyname: 'organization',
  usagelocation: 'timezone',
};

/** A mistake in an expression, at a 1-based character position. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Argument counts: [minimum, maximum]. */
const ARITY: Record<FunctionName, [number, number]> = {
  Join: [2, Infinity],
  Coalesce: [1, Infinity],
  ToLower: [1, 1],
  ToUpper: [1, 1],
  Replace: [3, 3],
  Left: [2, 2],
  Switch: [2, Infinity],
};

export function parseExpression(text: string): Expression {
  let pos = 0;
  const fail = (message: string, at = pos): never => {
    throw new ExpressionError(message, at + 1);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };

  const parse = (): Expression => {
    skipSpace();
    const start = pos;
    const c = text[pos];
    if (c === undefined) return fail('expected a value, found the end');
    if (c === '[') {
      const end = text.indexOf(']', pos);
      if (end < 0) return fail('unclosed [');
      const raw = text.slice(pos + 1, end).trim();
      const name = SOURCE_ATTRIBUTES.find((a) => a.toLowerCase() === raw.toLowerCase()) ?? ALIASES[raw.toLowerCase()];
      if (!name) return fail(`unknown attribute [${raw}]: one of ${SOURCE_ATTRIBUTES.join(', ')}`, start);
      pos = end + 1;
      return { kind: 'attribute', name };
    }
    if (c === '"' || c === "'") {
      let value = '';
      pos++;
      while (pos < text.length && text[pos] !== c) {
        if (text[pos] === '\\' && pos + 1 < text.length) pos++;
        value += text[pos++];
      }
      if (pos >= text.length) return fail('unclosed string', start);
      pos++;
      return { kind: 'text', value };
    }
    if (/[0-9]/.test(c)) {
      const match = /^[0-9]+/.exec(text.slice(pos))!;
      pos += match[0].length;
      return { kind: 'number', value: Number(match[0]) };
    }
    const ident = /^[A-Za-z]+/.exec(text.slice(pos));
    if (!ident) return fail(`unexpected "${c}"`);
    const fn = FUNCTIONS.find((f) => f.toLowerCase() === ident[0].toLowerCase());
    if (!fn) return fail(`unknown function ${ident[0]}: one of ${FUNCTIONS.join(', ')}`);
    pos += ident[0].length;
    skipSpace();
    if (text[pos] !== '(') return fail(`expected ( after ${fn}`);
    pos++;
    const args: Expression[] = [];
    skipSpace();
    if (text[pos] === ')') pos++;
    else {
      for (;;) {
        args.push(parse());
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ')') {
          pos++;
          break;
        }
        return fail(text[pos] === undefined ? `unclosed ${fn}(` : `expected , or ) in ${fn}, found "${text[pos]}"`);
      }
    }
    const [min, max] = ARITY[fn];
    if (args.length < min || args.length > max)
      fail(`${fn} takes ${max === Infinity ? `at least ${min}` : min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`, start);
    if (fn === 'Left' && args[1]!.kind !== 'number') fail('Left needs a number of characters as its second argument', start);
    if (fn === 'Switch' && args.length % 2 !== 0) fail('Switch takes a value, a default, then key/value pairs', start);
    return { kind: 'call', fn, args };
  };

  const expression = parse();
  skipSpace();
  if (pos < text.length) fail(`unexpected "${text.slice(pos, pos + 10)}" after the expression`);
  return expression;
}

export type SourceValues = Partial<Record<SourceAttribute, string>>;

/** Empty strings count as absent, as in Entra: a mapping to an absent value sends nothing. */
const present = (v: string | undefined): v is string => v !== undefined && v !== '';

export function evaluate(expression: Expression, source: SourceValues): string | undefined {
  switch (expression.kind) {
    case 'attribute': {
      const value = source[expression.name];
      return present(value) ? value : undefined;
    }
    case 'text':
      return expression.value;
    case 'number':
      return String(expression.value);
    case 'call': {
      const args = expression.args;
      const arg = (i: number) => evaluate(args[i]!, source);
      switch (expression.fn) {
        case 'Join': {
          const parts = args
            .slice(1)
            .map((a) => evaluate(a, source))
            .filter(present);
          return parts.length ? parts.join(arg(0) ?? '') : undefined;
        }
        case 'Coalesce':
          return args.map((a) => evaluate(a, source)).find(present);
        case 'ToLower':
          return arg(0)?.toLowerCase();
        case 'ToUpper':
          return arg(0)?.toUpperCase();
        case 'Replace': {
          const value = arg(0);
          const find = arg(1);
          return value === undefined || !present(find) ? value : value.split(find).join(arg(2) ?? '');
        }
        case 'Left': {
          const value = arg(0);
          return value === undefined ? undefined : [...value].slice(0, (args[1] as { value: number }).value).join('');
        }
        case 'Switch': {
          const value = arg(0);
          for (let i = 2; i < args.length; i += 2) if (arg(i) === value) return arg(i + 1);
          return arg(1);
        }
      }
    }
  }
}
