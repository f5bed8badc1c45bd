import { textOf } from '@rehearsal/runtime/client';
/** How the command talks: human tables by default, one JSON document with --json, progress on stderr. */
export interface Output {
  json: boolean;
  /** A line for people (nothing in --json mode). */
  say: (line?: string) => void;
  /** The result: JSON in --json mode, otherwise printed by `human`. */
  result: (value: unknown, human: () => void) => void;
  progress: (label: string, done?: number, total?: number) => void;
  /** Ends a progress bar line, if one is drawn. */
  endProgress: () => void;
}

export function createOutput(
  json: boolean,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
): Output {
  const tty = 'isTTY' in err && err.isTTY === true;
  let drawing = false;
  let lastLabel = '';
  return {
    json,
    say: (line = '') => {
      if (!json) out.write(line + '\n');
    },
    result: (value, human) => {
      if (json) out.write(JSON.stringify(value, null, 2) + '\n');
      else human();
    },
    progress: (label, done, total) => {
      if (tty) {
        // A bar redrawn in place on a terminal.
        const width = 30;
        const bar = total ? `[${'#'.repeat(Math.round(((done ?? 0) / total) * width)).padEnd(width, '.')}] ${done}/${total}` : '';
        err.write(`\r\x1b[2K${label} ${bar}`);
        drawing = true;
      } else if (label !== lastLabel || (total && done === total)) {
        // Logs get one line per phase (and its end), not a line per tick.
        err.write(`${label}${total ? ` ${done}/${total}` : ''}\n`);
      }
      lastLabel = label;
    },
    endProgress: () => {
      if (drawing) err.write('\r\x1b[2K');
      drawing = false;
    },
  };
}

/** A plain text table: a header row, then the rows, columns padded to their widest cell. */
export function table(rows: readonly object[], columns: string[]): string {
  const cell = (v: unknown): string => (Array.isArray(v) ? v.map(cell).join(', ') : textOf(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell((r as Record<string, unknown>)[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell((r as Record<string, unknown>)[c]))))].join('\n');
}

/** Exit codes scripts can rely on (also in `rehearsal --help` and the README). */
export const EXIT = {
  ok: 0,
  /** The operation ran and said no: a login refused, a service refusing a change. */
  refused: 1,
  /** The command line was wrong. */
  usage: 2,
  /** No stack answered. */
  unreachable: 3,
  /** The scenario file is invalid. */
  invalidScenario: 4,
} as const;

export class UsageError extends Error {}
