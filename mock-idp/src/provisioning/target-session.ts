import type { Clock } from '@rehearsal/runtime';
import type { Cycle } from './cycle.ts';
import type { WireRequest } from './profiles.ts';
import type { AttributeDiff, ProvisioningLog } from './provisioning-log.ts';
import { isRetryable, jsonOf, ScimClient, type ScimAnswer, type ScimBody, type Sleep } from './scim-client.ts';
import type { ProvisioningTarget } from './target.ts';

/** Consecutive requests that find the target unavailable (after retries) before it is quarantined. */
const UNAVAILABLE_BEFORE_QUARANTINE = 3;

/** Thrown once a target must be quarantined: the cycle stops, the plan fails. */
export class QuarantineSignal extends Error {}

/**
 * One plan's or cycle's conversation with a target: its SCIM client, the cycle
 * it counts for (none for a dry run), and whether the target has failed enough
 * to be quarantined. Every request goes through `send`.
 */
export class TargetSession {
  readonly client: ScimClient;
  private unavailableInARow = 0;
  /** Set once the target is quarantined: requests still queued in the pool are not sent. */
  private stopped: string | undefined;

  constructor(
    readonly target: ProvisioningTarget,
    readonly cycle: Cycle | undefined,
    private readonly log: ProvisioningLog,
    clock: Clock,
    sleep: Sleep,
  ) {
    this.client = new ScimClient(
      target.config.baseUrl,
      target.config.token,
      { attempts: target.config.retry.attempts, delayMs: target.retryDelayMs },
      clock,
      sleep,
      target.config.concurrency,
    );
  }

  /**
   * Sends one request, logs every attempt, and decides what a failure means:
   * 401/403 and a target that stays unavailable quarantine it; any other 4xx is
   * a bad record the cycle skips.
   */
  async send(request: WireRequest, about: { user?: string; group?: string; operation: string; diff?: AttributeDiff[] }): Promise<ScimAnswer> {
    if (this.stopped) throw new QuarantineSignal(this.stopped);
    const answer = await this.client.send(request);
    const { cycle, target } = this;
    const write = request.method !== 'GET';
    if (cycle) {
      if (write) cycle.writes += 1;
      else cycle.reads += 1;
      answer.exchanges.forEach((exchange, i) => {
        const last = i === answer.exchanges.length - 1;
        const ok = exchange.status >= 200 && exchange.status < 300;
        const outcome = !last
          ? 'retried'
          : ok || ((request.method === 'GET' || request.method === 'DELETE') && exchange.status === 404)
            ? 'ok'
            : isRetryable(exchange.status) || exchange.status === 401 || exchange.status === 403
              ? 'failed'
              : 'skipped';
        this.log.add({
          ...exchange,
          target: target.config.id,
          cycle: cycle.id,
          ...(about.user ? { user: about.user.toLowerCase() } : {}),
          ...(about.group ? { group: about.group } : {}),
          operation: about.operation,
          outcome,
          ...(outcome === 'failed' || outcome === 'skipped' ? { reason: reasonOf({ status: exchange.status, body: exchange.responseBody }) } : {}),
          ...(about.diff && last ? { diff: about.diff } : {}),
        });
      });
    }
    const stop = (reason: string) => {
      this.stopped ??= reason;
      return new QuarantineSignal(this.stopped);
    };
    if (answer.status === 401 || answer.status === 403)
      throw stop(`the target refused the token (${answer.status} on ${request.method} ${request.path.split('?')[0]})`);
    if (isRetryable(answer.status)) {
      this.unavailableInARow += 1;
      if (this.unavailableInARow >= UNAVAILABLE_BEFORE_QUARANTINE) {
        throw stop(`the target kept failing: ${reasonOf(answer)} on ${this.unavailableInARow} requests in a row, each tried ${answer.exchanges.length} times`);
      }
    } else this.unavailableInARow = 0;
    return answer;
  }

  close(): void {
    this.client.close();
  }
}

/** A target's answer in a line: status, scimType and detail. */
export function reasonOf(answer: { status: number; body: ScimBody }): string {
  const json = jsonOf(answer);
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);
  if (answer.status === 0) return `no answer: ${text(json?.error) ?? 'connection failed'}`;
  const error = json?.error;
  const detail =
    text(json?.detail) ??
    (error && typeof error === 'object' ? text((error as { message?: unknown }).message) : undefined) ??
    (typeof answer.body === 'string' ? answer.body : undefined);
  const scimType = text(json?.scimType);
  return `${answer.status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
}
