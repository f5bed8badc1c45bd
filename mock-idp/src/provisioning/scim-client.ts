import { performance } from 'node:perf_hooks';
import type { Clock } from '@rehearsal/core/runtime';
import type { WireRequest } from './profiles.ts';

/** One request and its answer, as the provisioning log keeps it (the token never appears). */
export interface Exchange {
  method: string;
  url: string;
  requestBody?: unknown;
  status: number;
  responseBody?: unknown;
  attempt: number;
  durationMs: number;
  time: string;
}

export interface ScimAnswer {
  status: number;
  body: any;
  /** Every attempt made, the last one answering. */
  exchanges: Exchange[];
}

/** Waits `ms` on the injected clock: a frozen test clock moves forward at once, a live one really waits. */
export type Sleep = (ms: number) => Promise<void>;

export interface RetryPolicy {
  attempts: number;
  delayMs: number;
}

const MAX_DELAY_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** 429 and 5xx are worth another try; so is a connection that failed outright (status 0). */
export const isRetryable = (status: number) => status === 0 || status === 429 || status >= 500;

/** Seconds or an HTTP date (RFC 9110 §10.2.3), as a delay from `now`. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * A SCIM client for one target: bearer token, application/scim+json, retries
 * with exponential backoff that honour Retry-After. Waiting goes through
 * `sleep`, so tests drive it with the clock.
 */
export class ScimClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly retry: RetryPolicy,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {}

  async send(request: WireRequest): Promise<ScimAnswer> {
    const url = this.baseUrl.replace(/\/+$/, '') + request.path;
    const exchanges: Exchange[] = [];
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const time = this.clock.now().toISOString();
      let status = 0;
      let body: unknown;
      let retryAfter: string | null = null;
      try {
        const response = await fetch(url, {
          method: request.method,
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', ...(request.body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        const text = await response.text();
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text.slice(0, 2000);
        }
      } catch (err) {
        body = { error: (err as Error).message };
      }
      exchanges.push({ method: request.method, url, requestBody: request.body, status, responseBody: body, attempt, durationMs: Math.round((performance.now() - started) * 10) / 10, time });
      if (!isRetryable(status) || attempt > this.retry.attempts) return { status, body, exchanges };
      const backoff = Math.min(MAX_DELAY_MS, this.retry.delayMs * 2 ** (attempt - 1));
      await this.sleep(Math.min(MAX_DELAY_MS, retryAfterMs(retryAfter, this.clock.now()) ?? backoff));
    }
  }
}
