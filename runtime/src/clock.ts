/**
 * Time comes from an injected Clock so that tests (and the harness endpoints) can
 * freeze it and fast-forward idle timeouts and assertion expiry deterministically.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ClockState {
  now: string;
  frozen: boolean;
  offsetMs: number;
}

/** A clock that follows a source clock, shifted by an offset, or stands still when frozen. */
export class ControllableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  constructor(private readonly source: Clock = systemClock) {}

  now(): Date {
    return new Date(this.frozenAt ?? this.source.now().getTime() + this.offsetMs);
  }

  /** Stop time, at `at` when given, otherwise at the current reading. */
  freeze(at?: Date): void {
    this.frozenAt = (at ?? this.now()).getTime();
  }

  /** Let time run again from the current reading. */
  unfreeze(): void {
    if (this.frozenAt === undefined) return;
    this.offsetMs = this.frozenAt - this.source.now().getTime();
    this.frozenAt = undefined;
  }

  /** Jump to `at`, keeping the frozen/running state. */
  set(at: Date): void {
    if (this.frozenAt !== undefined) this.frozenAt = at.getTime();
    else this.offsetMs = at.getTime() - this.source.now().getTime();
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }

  state(): ClockState {
    return { now: this.now().toISOString(), frozen: this.frozenAt !== undefined, offsetMs: this.offsetMs };
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses durations the way people write them: `31m`, `1h30m`, `2d`, `45s`, `250ms`,
 * or ISO 8601 (`PT31M`, `P1DT2H`). Returns milliseconds, or undefined when the text
 * is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value);
  if (iso && value.length > 1 && !/T$/i.test(value)) {
    const [, w, d, h, m, s] = iso;
    return (
      Number(w ?? 0) * UNIT_MS.w! + Number(d ?? 0) * UNIT_MS.d! + Number(h ?? 0) * UNIT_MS.h! + Number(m ?? 0) * UNIT_MS.m! + Math.round(Number(s ?? 0) * 1000)
    );
  }
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(value); match; match = part.exec(value)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== value.length) return undefined;
  return Math.round(total);
}
