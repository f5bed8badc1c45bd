import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';

/** Structured logs: one JSON object a line, filtered by LOG_LEVEL. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  service: string;
  clock?: Clock;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions, bindings: Record<string, unknown> = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const clock = options.clock ?? systemClock;
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    write(JSON.stringify({ time: clock.now().toISOString(), level, service: options.service, msg, ...bindings, ...fields }));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (more) => createLogger(options, { ...bindings, ...more }),
  };
}

export const silentLogger: Logger = createLogger({ service: 'silent', level: 'silent' });
