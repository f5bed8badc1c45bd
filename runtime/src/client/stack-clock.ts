import type { ServiceClient } from './service-client.ts';

export interface ClockState {
  now: string;
  frozen: boolean;
  offsetMs: number;
}

/**
 * The stack's time: every service's harness clock (`/_rehearsal/clock`), moved
 * together so that an idle timeout at the gateway and an assertion's validity
 * at the IdP see the same instant.
 */
export class StackClock {
  constructor(private readonly services: ServiceClient[]) {}

  /** Each service's clock, by service name. */
  async show(): Promise<Record<string, ClockState>> {
    const states = await Promise.all(this.services.map((s) => s.call<ClockState>('GET', '/_rehearsal/clock')));
    return Object.fromEntries(this.services.map((s, i) => [s.service, states[i]!]));
  }

  /** Moves every clock forward by a duration such as `31m`, `1h30m` or `2d`. */
  advance(duration: string | number) {
    return this.change({ advance: duration });
  }

  /** Stops every clock (at an instant, or now): time then moves only by `advance`. */
  async freeze(at?: Date) {
    const frozen = await this.change({ freeze: true });
    // A clock takes an instant only once frozen.
    return at ? this.change({ at: at.toISOString() }) : frozen;
  }

  unfreeze() {
    return this.change({ freeze: false });
  }

  /** Every clock back to real time, running. */
  reset() {
    return this.change({ reset: true });
  }

  private async change(body: Record<string, unknown>): Promise<Record<string, ClockState>> {
    // The first service validates the change (a bad duration is refused before any clock moves).
    const [first, ...rest] = this.services;
    const firstState = await first!.call<ClockState>('POST', '/_rehearsal/clock', body);
    const others = await Promise.all(rest.map((s) => s.call<ClockState>('POST', '/_rehearsal/clock', body)));
    return Object.fromEntries<ClockState>([[first!.service, firstState], ...rest.map((s, i): [string, ClockState] => [s.service, others[i]!])]);
  }
}
